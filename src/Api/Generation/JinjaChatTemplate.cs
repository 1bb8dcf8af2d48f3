using GqaService.Inference.Templating;

namespace GqaService.Api.Generation;

/// <summary>
/// The model's own Jinja chat template behind <see cref="IChatTemplate"/>: renders the conversation with
/// <c>add_generation_prompt</c> as asked (the chat endpoint always sets it: the model answers next) and the model's
/// <c>bos_token</c>/<c>eos_token</c>. The OpenAI role "developer" reaches the template as "system", the role
/// model templates know. The rendered text already holds the special tokens the model expects, so it is encoded
/// without adding a BOS (as <c>apply_chat_template</c> tokenizes with <c>add_special_tokens=False</c>).
/// </summary>
public sealed class JinjaChatTemplate(ChatTemplate template, string? bosToken, string? eosToken,
    IReadOnlyDictionary<string, object?>? variables = null) : IChatTemplate
{
    public bool RendersSpecialTokens => true;

    public string Render(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt = true)
    {
        var conversation = messages.Select(turn => new ChatTemplateMessage(turn.Role == "developer" ? "system" : turn.Role, turn.Content)).ToList();
        return template.Render(conversation, addGenerationPrompt, bosToken, eosToken, variables);
    }
}
