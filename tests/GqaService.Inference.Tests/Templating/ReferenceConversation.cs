using GqaService.Inference.Templating;

namespace GqaService.Inference.Tests.Templating;

/// <summary>A named conversation the reference tests render with every template.</summary>
public sealed record ReferenceConversation(string Name, IReadOnlyList<ChatTemplateMessage> Messages)
{
    public static IReadOnlyList<ReferenceConversation> Fixed { get; } =
    [
        new("system and user", [new("system", "You are a terse assistant."), new("user", "What is GQA?")]),
        new("user only", [new("user", "Hello!")]),
        new("multi-turn with system", [
            new("system", "Answer in one sentence."),
            new("user", "Name a prime."),
            new("assistant", "Seven is prime."),
            new("user", "Another one?"),
        ]),
        new("multi-turn without system", [
            new("user", "Hi"),
            new("assistant", "Hello, how can I help?"),
            new("user", "Tell me a joke."),
        ]),
        new("empty system", [new("system", ""), new("user", "Is an empty system prompt kept?")]),
        new("unicode and whitespace", [
            new("system", "  Réponds en français. 日本語も可。  \n"),
            new("user", "\tGrüße 👋 — ‘quotes’ \"double\" {{ not a tag }} {% neither %}\n\n"),
        ]),
        new("ends with assistant", [new("user", "Finish this: once upon a"), new("assistant", "time, there was a cache.")]),
        new("thinking markup", [
            new("user", "2+2?"),
            new("assistant", "<think>\nadd them\n</think>\n\nFour."),
            new("user", "3+3?"),
        ]),
    ];

    /// <summary>A fresh alternating conversation of random text (template-like characters, quotes, escapes, unicode,
    /// special-token look-alikes, surrounding whitespace); the seed is in its name so a failure can be replayed.</summary>
    public static ReferenceConversation Random(int seed)
    {
        var random = new Random(seed);
        string[] pieces = ["a", "word", " ", "  ", "\n", "\t", "{{", "}}", "{%", "%}", "'", "\"", "\\", "é", "日本", "👋", "<|im_end|>", "</s>", "[INST]", "-", "#"];
        string Text() => string.Concat(Enumerable.Range(0, random.Next(1, 24)).Select(_ => pieces[random.Next(pieces.Length)]));
        var messages = new List<ChatTemplateMessage>();
        if (random.Next(2) == 0)
        {
            messages.Add(new("system", Text()));
        }
        var turns = random.Next(1, 6);
        for (var i = 0; i < turns; i++)
        {
            messages.Add(new(i % 2 == 0 ? "user" : "assistant", Text()));
        }
        return new($"random (seed {seed})", messages);
    }
}
