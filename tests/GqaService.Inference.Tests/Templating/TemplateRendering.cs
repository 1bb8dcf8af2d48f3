using GqaService.Inference.Templating;

namespace GqaService.Inference.Tests.Templating;

/// <summary>Renders a small template for the unit tests, with a default conversation and tokens.</summary>
internal static class TemplateRendering
{
    public static readonly IReadOnlyList<ChatTemplateMessage> Conversation =
    [
        new("system", "Be brief."),
        new("user", "Hi"),
        new("assistant", "Hello"),
        new("user", "Bye"),
    ];

    public static string Render(string source, IReadOnlyDictionary<string, object?>? extra = null,
        IReadOnlyList<ChatTemplateMessage>? messages = null, bool addGenerationPrompt = false, TimeProvider? clock = null) =>
        ChatTemplate.Parse(source, clock).Render(messages ?? Conversation, addGenerationPrompt, "<s>", "</s>", extra);

    public static Dictionary<string, object?> Vars(params (string Name, object? Value)[] values) =>
        values.ToDictionary(value => value.Name, value => value.Value);
}
