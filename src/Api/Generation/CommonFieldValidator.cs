using GqaService.Api.Contracts;
using GqaService.Api.Errors;
using GqaService.Api.Hosting;
using GqaService.Inference.Sampling;

namespace GqaService.Api.Generation;

/// <summary>Checks the fields both endpoints share and turns them into engine values; problems go to <see cref="ValidationErrors"/> by JSON name.</summary>
internal static class CommonFieldValidator
{
    public const int MaxStopSequences = 4;
    public const int MaxSessionIdLength = 256;

    /// <summary>OpenAI's default temperature is 1; send 0 for greedy decoding.</summary>
    public const float DefaultTemperature = 1f;

    public static int MaxTokens(int? requested, string field, ApiOptions options, ValidationErrors errors)
    {
        if (requested is null)
        {
            return options.DefaultMaxTokens;
        }
        if (requested < 1)
        {
            errors.Add(field, $"must be at least 1 (got {requested}).");
        }
        else if (requested > options.MaxTokensLimit)
        {
            errors.Add(field, $"must be at most {options.MaxTokensLimit} (got {requested}).");
        }
        return requested.Value;
    }

    public static SamplingParameters Sampling(CompletionRequestBase body, ValidationErrors errors)
    {
        var temperature = body.Temperature ?? DefaultTemperature;
        if (!float.IsFinite(temperature) || temperature < 0f || temperature > 2f)
        {
            errors.Add("temperature", $"must lie in [0, 2] (got {temperature}).");
        }
        var topP = body.TopP ?? 1f;
        if (!float.IsFinite(topP) || topP <= 0f || topP > 1f)
        {
            errors.Add("top_p", $"must lie in (0, 1] (got {topP}).");
        }
        var topK = body.TopK ?? 0;
        if (topK < 0)
        {
            errors.Add("top_k", $"must be 0 (off) or positive (got {topK}).");
        }
        return new SamplingParameters
        {
            Temperature = temperature,
            TopP = topP,
            TopK = topK,
            Seed = body.Seed is { } seed ? unchecked((ulong)seed) : null,
        };
    }

    public static IReadOnlyList<string> StopSequences(StopInput? stop, bool hasTokenizer, ValidationErrors errors)
    {
        if (stop is null || stop.Sequences.Count == 0)
        {
            return [];
        }
        if (stop.Sequences.Count > MaxStopSequences)
        {
            errors.Add("stop", $"at most {MaxStopSequences} stop sequences are allowed (got {stop.Sequences.Count}).");
        }
        if (stop.Sequences.Any(string.IsNullOrEmpty))
        {
            errors.Add("stop", "stop sequences must not be empty.");
        }
        if (!hasTokenizer)
        {
            errors.Add("stop", "stop strings need a tokenizer and this model has none.");
        }
        return stop.Sequences;
    }

    public static void SingleChoice(int? n, ValidationErrors errors)
    {
        if (n is { } count && count != 1)
        {
            errors.Add("n", $"only n=1 is supported (got {count}).");
        }
    }

    /// <summary>The body's session_id, else the X-Session-Id header (what the reverse proxy routes on); both given must agree.</summary>
    public static string? SessionId(string? fromBody, string? fromHeader, ValidationErrors errors)
    {
        var body = string.IsNullOrWhiteSpace(fromBody) ? null : fromBody;
        var header = string.IsNullOrWhiteSpace(fromHeader) ? null : fromHeader;
        if (body is not null && header is not null && body != header)
        {
            errors.Add("session_id", $"differs from the X-Session-Id header ('{body}' vs '{header}').");
        }
        var session = body ?? header;
        if (session is { Length: > MaxSessionIdLength })
        {
            errors.Add("session_id", $"must be at most {MaxSessionIdLength} characters.");
        }
        return session;
    }
}
