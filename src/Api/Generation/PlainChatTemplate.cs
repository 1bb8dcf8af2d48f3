using System.Text;

namespace GqaService.Api.Generation;

/// <summary>
/// The documented fallback for models without a chat template: one line per message, <c>System: </c>, <c>User: </c> or
/// <c>Assistant: </c> followed by its content, then a last line <c>Assistant:</c> for the model to continue. Roles "system" and
/// "developer" both render as "System". BOS is added when the text is encoded. Without the generation prompt (only
/// <c>/tokenize</c> asks for that) the last line is the last message's.
/// <code>
/// System: You are terse.
/// User: Hi
/// Assistant:
/// </code>
/// </summary>
public sealed class PlainChatTemplate : IChatTemplate
{
    public static readonly IReadOnlySet<string> Roles = new HashSet<string>(StringComparer.Ordinal) { "system", "developer", "user", "assistant" };

    public string Render(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt = true)
    {
        var prompt = new StringBuilder();
        foreach (var message in messages)
        {
            prompt.Append(Label(message.Role)).Append(": ").Append(message.Content).Append('\n');
        }
        return addGenerationPrompt ? prompt.Append("Assistant:").ToString() : prompt.ToString();
    }

    private static string Label(string role) => role switch
    {
        "system" or "developer" => "System",
        "assistant" => "Assistant",
        _ => "User",
    };
}
