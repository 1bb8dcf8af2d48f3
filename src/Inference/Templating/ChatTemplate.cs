using System.Text;
using GqaService.Inference.Templating.Runtime;
using GqaService.Inference.Templating.Syntax;
using GqaService.Inference.Templating.Syntax.Nodes;

namespace GqaService.Inference.Templating;

/// <summary>
/// A model's Jinja chat template (<c>chat_template</c> of <c>tokenizer_config.json</c>, or GGUF's
/// <c>tokenizer.chat_template</c>), parsed once and rendered per request the way Hugging Face's
/// <c>apply_chat_template</c> renders it: <c>trim_blocks</c> and <c>lstrip_blocks</c> on, variables <c>messages</c>,
/// <c>add_generation_prompt</c>, <c>bos_token</c>, <c>eos_token</c> and any extra ones, and the globals
/// <c>raise_exception</c>, <c>namespace</c>, <c>range</c>, <c>dict</c>, <c>strftime_now</c>.
/// <para>
/// Semantics are those of <c>@huggingface/jinja</c>, Hugging Face's JavaScript renderer, which the reference tests compare
/// against byte for byte: none and undefined print as nothing, booleans as <c>true</c>/<c>false</c>, lists and dicts as
/// JSON. Two of its rules differ from Python's Jinja (which transformers uses) in ways real templates can show:
/// <c>==</c> is JavaScript's loose equality (<c>'' == false</c>, so Llama 2's template writes no <c>&lt;&lt;SYS&gt;&gt;</c>
/// block for an empty system prompt, where Python writes an empty one), and <c>strip</c>/<c>lstrip</c>/<c>rstrip</c>
/// remove whitespace whatever characters they are given.
/// </para>
/// </summary>
public sealed class ChatTemplate
{
    private readonly IReadOnlyList<TemplateNode> _body;
    private readonly TimeProvider _clock;

    private ChatTemplate(string source, IReadOnlyList<TemplateNode> body, TimeProvider clock)
    {
        Source = source;
        _body = body;
        _clock = clock;
    }

    public string Source { get; }

    /// <summary>Parses <paramref name="source"/>; throws <see cref="TemplateException"/> naming the construct and line of the
    /// first thing this interpreter cannot run. <paramref name="clock"/> serves <c>strftime_now</c> (default: the system clock).</summary>
    public static ChatTemplate Parse(string source, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ChatTemplate(source, TemplateParser.Parse(source), clock ?? TimeProvider.System);
    }

    /// <summary>
    /// Renders the conversation. A null <paramref name="bosToken"/> or <paramref name="eosToken"/> leaves that variable
    /// undefined. <paramref name="extra"/> adds variables (for example <c>tools</c>, <c>date_string</c>); values may be
    /// strings, numbers, booleans, null, sequences, string-keyed dictionaries or <c>JsonElement</c>s. Throws
    /// <see cref="TemplateRenderException"/> when the template raises an exception or an operation fails.
    /// </summary>
    public string Render(IReadOnlyList<ChatTemplateMessage> messages, bool addGenerationPrompt, string? bosToken, string? eosToken,
        IReadOnlyDictionary<string, object?>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var scope = new VariableScope(null);
        TemplateGlobals.AddTo(scope, _clock);
        foreach (var (name, value) in extra ?? new Dictionary<string, object?>())
        {
            scope.Set(name, JinjaValues.FromClr(value));
        }
        scope.Set("messages", messages.Select(message => (object?)new OrderedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["role"] = message.Role,
            ["content"] = message.Content,
        }).ToList());
        scope.Set("add_generation_prompt", addGenerationPrompt);
        if (bosToken is not null)
        {
            scope.Set("bos_token", bosToken);
        }
        if (eosToken is not null)
        {
            scope.Set("eos_token", eosToken);
        }
        var output = new StringBuilder();
        new TemplateEvaluator().Render(_body, scope, output);
        return output.ToString();
    }
}
