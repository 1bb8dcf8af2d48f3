using GqaService.Inference.Loading;
using GqaService.Inference.Templating;
using GqaService.Inference.Tests.Support;

namespace GqaService.Inference.Tests.Loading;

/// <summary>A model's chat template is parsed when the model loads; one the interpreter cannot run falls back, said at load.</summary>
public sealed class ChatTemplateLoadingTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void TemplateInTokenizerConfig_IsParsedAtLoad_WithItsBosAndEosTexts()
    {
        FamilyCheckpoint.Create(FamilyCheckpoint.Configs.Llama32, seed: 31).WriteTo(_directory.Path);
        File.WriteAllText(_directory.File("tokenizer_config.json"), """
            {"bos_token": "<B>", "eos_token": "<E>",
             "chat_template": "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}"}
            """);

        using var model = ModelLoader.Load(_directory.Path);

        var description = model.Description;
        Assert.Equal("tokenizer_config.json", description.ChatTemplateOrigin);
        Assert.Equal(("<B>", "<E>"), (description.BosToken, description.EosToken));
        var rendered = description.ChatTemplate!.Render([new ChatTemplateMessage("user", "Hi")], addGenerationPrompt: true, description.BosToken, description.EosToken);
        Assert.Equal("<B>[user]Hi<E>[assistant]", rendered);
        Assert.DoesNotContain(description.Notes, n => n.Contains("chat template", StringComparison.Ordinal));
    }

    [Fact]
    public void TemplateTheInterpreterCannotRun_LoadsWithThePlainTemplate_AndANoteNamingConstructAndLine()
    {
        FamilyCheckpoint.Create(FamilyCheckpoint.Configs.Llama32, seed: 32).WriteTo(_directory.Path);
        File.WriteAllText(_directory.File("tokenizer_config.json"), """
            {"chat_template": "{% for m in messages %}\n{% include 'turn.jinja' %}\n{% endfor %}"}
            """);

        using var model = ModelLoader.Load(_directory.Path);

        Assert.Null(model.Description.ChatTemplate);
        Assert.Null(model.Description.ChatTemplateOrigin);
        var note = Assert.Single(model.Description.Notes, n => n.Contains("chat template", StringComparison.Ordinal));
        Assert.Contains("include", note, StringComparison.Ordinal);
        Assert.Contains("line 2", note, StringComparison.Ordinal);
        Assert.Contains("plain template", note, StringComparison.Ordinal);
    }
}
