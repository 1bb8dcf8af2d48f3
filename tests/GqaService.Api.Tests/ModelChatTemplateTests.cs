using GqaService.Api.Generation;
using GqaService.Api.Tests.Support;
using GqaService.Inference.Templating;
using Microsoft.Extensions.DependencyInjection;

namespace GqaService.Api.Tests;

/// <summary>Chat renders with the served model's own template where it has one, else with the plain one.</summary>
public class ModelChatTemplateTests
{
    [Fact]
    public void ModelWithATemplate_RendersWithIt_AndItsBosAndEos()
    {
        var engine = new FakeInferenceEngine();
        engine.Model = engine.Model with
        {
            ChatTemplate = ChatTemplate.Parse("{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}"),
            ChatTemplateOrigin = "tokenizer_config.json",
            BosToken = "<s>",
            EosToken = "</s>",
        };
        var template = new ModelChatTemplate(engine);

        Assert.Equal("<s><system>Be brief.</s><user>Hi</s><assistant>", template.Render([new ChatTurn("developer", "Be brief."), new ChatTurn("user", "Hi")]));
        Assert.True(template.RendersSpecialTokens);
    }

    [Fact]
    public void ModelWithoutATemplate_RendersThePlainOne()
    {
        var template = new ModelChatTemplate(new FakeInferenceEngine());

        Assert.Equal(new PlainChatTemplate().Render([new ChatTurn("user", "Hi")]), template.Render([new ChatTurn("user", "Hi")]));
        Assert.False(template.RendersSpecialTokens);
    }

    [Fact]
    public async Task TheApp_UsesTheModelsTemplateByDefault()
    {
        await using var app = TestApp.Create(new FakeInferenceEngine());

        Assert.IsType<ModelChatTemplate>(app.Services.GetRequiredService<IChatTemplate>());
    }
}
