using System.Net;
using GqaService.Api.Generation;
using GqaService.Api.Tests.Support;
using GqaService.Inference.Templating;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GqaService.Api.Tests;

/// <summary>The chat endpoint with a model's Jinja template in place of the plain one.</summary>
public sealed class JinjaChatTemplateTests
{
    // TinyLlama-1.1B-Chat-v1.0's chat_template (Zephyr format), as in its tokenizer_config.json.
    private const string TinyLlamaTemplate = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n"
        + "{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n"
        + "{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

    // Mistral-7B-Instruct-v0.1's chat_template: refuses a system message.
    private const string MistralTemplate = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
        + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}"
        + "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + ' ' }}"
        + "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

    [Fact]
    public void Renders_with_the_generation_prompt_tokens_and_developer_as_system()
    {
        var template = new JinjaChatTemplate(
            ChatTemplate.Parse("{{ bos_token }}{% for m in messages %}{{ m.role }}:{{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}A:{% endif %}"),
            "<B>", "<E>");

        var prompt = template.Render([new ChatTurn("developer", "rules"), new ChatTurn("user", "hi")]);

        Assert.Equal("<B>system:rules<E>user:hi<E>A:", prompt);
        Assert.True(template.RendersSpecialTokens);
        Assert.False(((IChatTemplate)new PlainChatTemplate()).RendersSpecialTokens);
    }

    [Fact]
    public async Task Chat_completion_prompt_is_the_models_template_encoded_without_a_second_bos()
    {
        var engine = new FakeInferenceEngine();
        await using var app = WithTemplate(engine, new JinjaChatTemplate(ChatTemplate.Parse(TinyLlamaTemplate), "<s>", "</s>"));
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/chat/completions", Json.Body(new
        {
            messages = new object[] { new { role = "developer", content = "Be brief." }, new { role = "user", content = "Hi" } },
            max_completion_tokens = 2,
        }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var submitted = Assert.Single(engine.Submitted).PromptTokenIds;
        Assert.Equal("<|system|>\nBe brief.</s>\n<|user|>\nHi</s>\n<|assistant|>\n", new FakeTokenizer().Decode(submitted));
        Assert.Equal('<', submitted[0]);
    }

    [Fact]
    public async Task A_conversation_the_template_refuses_is_a_400_naming_messages_with_the_templates_reason()
    {
        var engine = new FakeInferenceEngine();
        await using var app = WithTemplate(engine, new JinjaChatTemplate(ChatTemplate.Parse(MistralTemplate), "<s>", "</s>"));
        using var client = app.CreateClient();

        var response = await client.PostAsync("/v1/chat/completions", Json.Body(new
        {
            messages = new object[] { new { role = "system", content = "Be brief." }, new { role = "user", content = "Hi" } },
        }));

        var problem = await Json.ProblemAsync(response, 400);
        Assert.Equal("the model's chat template refused the conversation: Conversation roles must alternate user/assistant/user/assistant/...",
            problem.GetProperty("errors").GetProperty("messages")[0].GetString());
        Assert.Empty(engine.Submitted);
    }

    private static WebApplicationFactory<Program> WithTemplate(FakeInferenceEngine engine, IChatTemplate template) =>
        TestApp.Create(engine).WithWebHostBuilder(web => web.ConfigureTestServices(services =>
        {
            services.RemoveAll<IChatTemplate>();
            services.AddSingleton(template);
        }));
}
