using System.Text.Json;
using GqaService.Inference.Engine;

namespace GqaService.Inference.Loading;

/// <summary>
/// The sampling defaults of a Hugging Face <c>generation_config.json</c> (<c>temperature</c>, <c>top_p</c>, <c>top_k</c>,
/// <c>repetition_penalty</c>, <c>max_new_tokens</c>). A value no request could ask for is refused with the file and the field,
/// rather than turned into a default every request would then fail on. <c>do_sample</c> is not read: like vLLM, the values are
/// defaults for sampling, and a request asks for greedy decoding with temperature 0.
/// </summary>
internal static class GenerationConfigReader
{
    public static GenerationDefaults Read(string directory)
    {
        var path = Path.Combine(directory, HuggingFaceTokenizerLoader.GenerationConfigFileName);
        if (!File.Exists(path))
        {
            return GenerationDefaults.None;
        }
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(path, $"not valid JSON: {e.Message}", e);
        }
        double? Number(string name)
        {
            if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }
            return value.ValueKind == JsonValueKind.Number && double.IsFinite(value.GetDouble())
                ? value.GetDouble()
                : throw new ModelLoadException(path, $"{name} must be a number (got {value.GetRawText()}).");
        }
        T? Checked<T>(string name, Func<double, bool> valid, string range, Func<double, T> convert) where T : struct =>
            Number(name) is not { } value ? null
            : valid(value) ? convert(value)
            : throw new ModelLoadException(path, $"{name} must be {range} (got {value}).");
        return new GenerationDefaults
        {
            Temperature = Checked("temperature", v => v >= 0, "at least 0", v => (float)v),
            TopP = Checked("top_p", v => v > 0 && v <= 1, "in (0, 1]", v => (float)v),
            TopK = Checked("top_k", v => v >= 0 && v == Math.Floor(v) && v <= int.MaxValue, "a whole number of at least 0", v => (int)v),
            RepetitionPenalty = Checked("repetition_penalty", v => v > 0, "positive", v => (float)v),
            MaxNewTokens = Checked("max_new_tokens", v => v >= 1 && v == Math.Floor(v) && v <= int.MaxValue, "a whole number of at least 1", v => (int)v),
        };
    }
}
