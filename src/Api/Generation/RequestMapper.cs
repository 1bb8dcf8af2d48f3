using GqaService.Api.Contracts;
using GqaService.Api.Errors;
using GqaService.Inference.Engine;
using GqaService.Inference.Limits;
using GqaService.Inference.Sampling;

namespace GqaService.Api.Generation;

/// <summary>
/// Builds the engine's <see cref="GenerationRequest"/> from a wire request and checks it with the engine's own
/// <see cref="GenerationRequestValidator"/> against <see cref="IInferenceEngine.Limits"/>, so the API refuses exactly what the
/// engine would. Only what never reaches the engine (the wire shape, <c>best_of</c>, logit_bias keys, the session header) is
/// checked here.
/// Null, with every error filled in, when invalid.
/// </summary>
internal static class RequestMapper
{
    /// <summary>OpenAI's default temperature is 1; send 0 for greedy decoding.</summary>
    public const float DefaultTemperature = 1f;

    public static PreparedGeneration? Completion(CompletionRequest body, RequestOrigin origin, IInferenceEngine engine, ValidationErrors errors)
    {
        // What the service cannot do at all is said first (and is the error's param), before what is wrong with the prompt.
        UnsupportedFields.Check(body.OtherFields, body.N ?? 1, errors);
        var promptIds = PromptResolver.FromPrompt(body.Prompt, engine, errors);
        return Build(body, origin, engine, promptIds, body.MaxTokens, RequestFieldNames.Completion, body.Logprobs, errors);
    }

    public static PreparedGeneration? Chat(ChatCompletionRequest body, RequestOrigin origin, IInferenceEngine engine, IChatTemplate template,
        ValidationErrors errors)
    {
        UnsupportedFields.Check(body.OtherFields, body.N ?? 1, errors);
        var promptIds = PromptResolver.FromMessages(body.Messages, engine, template, errors);
        var (maxTokens, fields) = body.MaxCompletionTokens is not null
            ? (body.MaxCompletionTokens, RequestFieldNames.ChatCompletionTokens)
            : (body.MaxTokens, RequestFieldNames.Chat);
        if (body.TopLogprobs is not null && body.Logprobs != true)
        {
            errors.Add(RequestFieldNames.TopLogprobsField, "needs logprobs: true.");
        }
        var topLogprobs = body.Logprobs == true ? body.TopLogprobs ?? 0 : (int?)null;
        return Build(body, origin, engine, promptIds, maxTokens, fields, topLogprobs, errors);
    }

    private static PreparedGeneration? Build(CompletionRequestBase body, RequestOrigin origin, IInferenceEngine engine,
        IReadOnlyList<int>? promptIds, int? maxTokens, RequestFieldNames fields, int? topLogprobs, ValidationErrors errors)
    {
        var choices = body.N ?? 1;
        if (body.BestOf is { } bestOf && bestOf != choices)
        {
            errors.Add(RequestFieldNames.BestOf, $"only best_of equal to n is supported (got best_of {bestOf}, n {choices}): every choice is returned, none is ranked away.");
        }
        var limits = engine.Limits;
        // What the request leaves out: the model's generation_config.json, then the service's defaults.
        var defaults = engine.Model.GenerationDefaults;
        var request = new GenerationRequest
        {
            RequestId = origin.RequestId,
            PromptTokenIds = promptIds ?? [],
            MaxTokens = maxTokens ?? (defaults.MaxNewTokens is { } suggested ? Math.Min(suggested, limits.MaxTokens) : limits.DefaultMaxTokens),
            Sampling = new SamplingParameters
            {
                Temperature = body.Temperature ?? (defaults.Temperature is { } t ? Math.Min(t, limits.MaxTemperature) : DefaultTemperature),
                TopP = body.TopP ?? defaults.TopP ?? 1f,
                TopK = body.TopK ?? defaults.TopK ?? 0,
                MinP = body.MinP ?? 0f,
                PresencePenalty = body.PresencePenalty ?? 0f,
                FrequencyPenalty = body.FrequencyPenalty ?? 0f,
                RepetitionPenalty = body.RepetitionPenalty ?? (defaults.RepetitionPenalty is { } r ? Math.Min(r, limits.MaxRepetitionPenalty) : 1f),
                LogitBias = LogitBias(body.LogitBias, errors),
                Seed = body.Seed is { } seed ? unchecked((ulong)seed) : null,
            },
            Choices = choices,
            TopLogprobs = topLogprobs,
            IgnoreEos = body.IgnoreEos ?? false,
            StopSequences = body.Stop?.Sequences ?? [],
            StopTokenIds = body.StopTokenIds ?? [],
            SessionId = SessionId(body.SessionId, origin.SessionHeader, errors),
            Tenant = origin.Tenant,
            Fields = fields,
        };
        foreach (var error in GenerationRequestValidator.Validate(request, limits))
        {
            // An unresolvable prompt already has its error; "no tokens" on top of "is required" would only confuse.
            if (promptIds is not null || error.Field != fields.Prompt)
            {
                errors.Add(error.Field, error.Message);
            }
        }
        if (errors.Any)
        {
            return null;
        }
        var stream = body.Stream ?? false;
        return new PreparedGeneration(request, stream, stream && (body.StreamOptions?.IncludeUsage ?? false), body.ReturnTokenIds ?? false);
    }

    /// <summary>OpenAI's logit_bias keys are token ids written as strings; anything else is refused naming the field.</summary>
    private static IReadOnlyDictionary<int, float> LogitBias(IReadOnlyDictionary<string, float>? wire, ValidationErrors errors)
    {
        if (wire is null || wire.Count == 0)
        {
            return new Dictionary<int, float>();
        }
        var bias = new Dictionary<int, float>(wire.Count);
        foreach (var (key, value) in wire)
        {
            if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
            {
                errors.Add(RequestFieldNames.LogitBias, $"keys must be token ids (got '{key}').");
                break;
            }
            bias[id] = value;
        }
        return bias;
    }

    /// <summary>
    /// The body's session_id, else the X-Session-Id header (what the reverse proxy routes on); both given must agree. An empty
    /// header counts as none; any value given is checked by the validator (charset and length), never trimmed into shape.
    /// </summary>
    private static string? SessionId(string? fromBody, string? fromHeader, ValidationErrors errors)
    {
        var body = fromBody;
        var header = string.IsNullOrEmpty(fromHeader) ? null : fromHeader;
        if (body is not null && header is not null && body != header)
        {
            errors.Add(RequestFieldNames.SessionId, $"differs from the X-Session-Id header ('{body}' vs '{header}').");
        }
        return body ?? header;
    }
}
