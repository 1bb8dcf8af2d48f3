using System.Globalization;

namespace GqaService.Api.Cli;

/// <summary>Parsed switches of the <c>generate</c> verb.</summary>
public sealed record GenerateArguments(
    string? ModelPath, string? TokenizerPath, IReadOnlyList<int>? PromptIds, string? PromptText,
    int MaxTokens, float Temperature, float TopP, int TopK, ulong? Seed, bool IgnoreEos)
{
    public static GenerateArguments Parse(string[] args)
    {
        string? model = null, tokenizer = null, text = null;
        IReadOnlyList<int>? ids = null;
        int maxTokens = 64, topK = 0;
        float temperature = 0, topP = 1;
        ulong? seed = null;
        var ignoreEos = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--model": model = Value(); break;
                case "--tokenizer": tokenizer = Value(); break;
                case "--prompt": text = Value(); break;
                case "--prompt-ids": ids = ParseIds(Value()); break;
                case "--max-tokens": maxTokens = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--temperature": temperature = float.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--top-p": topP = float.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--top-k": topK = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--seed": seed = ulong.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--ignore-eos": ignoreEos = true; break;
                default: throw new ArgumentException($"Unknown switch '{args[i]}'.");
            }
        }
        if ((ids is null) == (text is null))
        {
            throw new ArgumentException("Give exactly one of --prompt-ids and --prompt.");
        }
        return new GenerateArguments(model, tokenizer, ids, text, maxTokens, temperature, topP, topK, seed, ignoreEos);
    }

    private static int[] ParseIds(string value)
    {
        try
        {
            return value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (FormatException)
        {
            throw new ArgumentException($"--prompt-ids must be comma-separated integers, got '{value}'.");
        }
    }
}
