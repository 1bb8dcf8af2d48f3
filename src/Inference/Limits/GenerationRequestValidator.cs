using GqaService.Inference.Engine;
using GqaService.Inference.Sampling;

namespace GqaService.Inference.Limits;

/// <summary>
/// The one set of rules a request must meet, against the engine's <see cref="ServingLimits"/>. The API runs it before
/// submitting (a 400 listing every error) and the engine runs it again as its guard, so what the API accepts the engine serves.
/// </summary>
public static class GenerationRequestValidator
{
    public static IReadOnlyList<FieldError> Validate(GenerationRequest request, ServingLimits limits)
    {
        var errors = new List<FieldError>();
        var fields = request.Fields;
        Prompt(request.PromptTokenIds, fields.Prompt, limits, errors);
        if (request.MaxTokens < 1 || request.MaxTokens > limits.MaxTokens)
        {
            errors.Add(new(fields.MaxTokens, $"must lie in 1..{limits.MaxTokens} (got {request.MaxTokens})."));
        }
        Sampling(request, limits, errors);
        Adjustments(request.Sampling, limits, errors);
        Choices(request, limits, errors);
        Stops(request, limits, errors);
        if (request.SessionId is { } session && SessionIds.Problem(session, limits.MaxSessionIdLength) is { } problem)
        {
            errors.Add(new(RequestFieldNames.SessionId, problem));
        }
        if (request.Scoring is { } scoring)
        {
            Scoring(request, scoring, limits, errors);
        }
        return errors;
    }

    /// <summary>
    /// A perplexity request as a whole, before it is cut into windows (<see cref="Perplexity.PerplexityPlan"/>): at least two
    /// tokens (one to predict from, one to predict), every id in the vocabulary, and a stride in 1..the window.
    /// </summary>
    public static IReadOnlyList<FieldError> ValidatePerplexity(IReadOnlyList<int> tokens, int? stride, ServingLimits limits)
    {
        var errors = new List<FieldError>();
        var fields = RequestFieldNames.Perplexity;
        if (tokens.Count < 2)
        {
            errors.Add(new(fields.Prompt, $"must hold at least 2 tokens: perplexity scores each token after the first (got {tokens.Count})."));
        }
        for (var i = 0; i < tokens.Count; i++)
        {
            if (tokens[i] < 0 || tokens[i] >= limits.VocabSize)
            {
                errors.Add(new(fields.Prompt, $"token id {tokens[i]} at index {i} is outside the vocabulary (0..{limits.VocabSize - 1})."));
                break;
            }
        }
        var window = Perplexity.PerplexityPlan.Window(limits);
        if (stride is { } given && (given < 1 || given > window))
        {
            errors.Add(new(RequestFieldNames.Stride, $"must lie in 1..{window}, the window (the served context less one, or the KV pool if smaller) (got {given})."));
        }
        return errors;
    }

    private static void Scoring(GenerationRequest request, PromptScoring scoring, ServingLimits limits, List<FieldError> errors)
    {
        if (request.SessionId is not null)
        {
            errors.Add(new(RequestFieldNames.SessionId, "a scoring (perplexity) request has no session."));
        }
        if (scoring.FirstScoredPosition < 0 || scoring.FirstScoredPosition >= request.PromptTokenIds.Count)
        {
            errors.Add(new(request.Fields.Prompt, $"the first scored position must lie in 0..{request.PromptTokenIds.Count - 1} (got {scoring.FirstScoredPosition})."));
        }
        if (scoring.FollowingTokenId < 0 || scoring.FollowingTokenId >= limits.VocabSize)
        {
            errors.Add(new(request.Fields.Prompt, $"token id {scoring.FollowingTokenId} after the window is outside the vocabulary (0..{limits.VocabSize - 1})."));
        }
    }

    private static void Prompt(IReadOnlyList<int> prompt, string field, ServingLimits limits, List<FieldError> errors)
    {
        if (prompt.Count == 0)
        {
            errors.Add(new(field, "must contain at least one token."));
            return;
        }
        for (var i = 0; i < prompt.Count; i++)
        {
            if (prompt[i] < 0 || prompt[i] >= limits.VocabSize)
            {
                errors.Add(new(field, $"token id {prompt[i]} at index {i} is outside the vocabulary (0..{limits.VocabSize - 1})."));
                break;
            }
        }
        // At least one position must stay free for the first generated token.
        if (prompt.Count >= limits.ContextTokens)
        {
            var whose = limits.ContextTokens < limits.ModelContextTokens
                ? $"the served context is {limits.ContextTokens} tokens (Inference:MaxContext; the model's is {limits.ModelContextTokens})"
                : $"the model's context is {limits.ContextTokens} tokens";
            errors.Add(new(field, $"the prompt is {prompt.Count} tokens but {whose}, so a prompt may use at most {limits.ContextTokens - 1}."));
        }
        else if (prompt.Count > limits.KvPoolTokens)
        {
            errors.Add(new(field, $"the prompt is {prompt.Count} tokens but the whole KV cache holds {limits.KvPoolTokens}."));
        }
    }

    private static void Sampling(GenerationRequest request, ServingLimits limits, List<FieldError> errors)
    {
        var sampling = request.Sampling;
        if (!float.IsFinite(sampling.Temperature) || sampling.Temperature < 0f || sampling.Temperature > limits.MaxTemperature)
        {
            errors.Add(new(RequestFieldNames.Temperature, $"must lie in [0, {limits.MaxTemperature}] (got {sampling.Temperature})."));
        }
        if (!(sampling.TopP > 0f && sampling.TopP <= 1f))
        {
            errors.Add(new(RequestFieldNames.TopP, $"must lie in (0, 1] (got {sampling.TopP})."));
        }
        if (sampling.TopK < 0)
        {
            errors.Add(new(RequestFieldNames.TopK, $"must be 0 (off) or positive (got {sampling.TopK})."));
        }
    }

    private static void Adjustments(SamplingParameters sampling, ServingLimits limits, List<FieldError> errors)
    {
        if (!(sampling.MinP >= 0f && sampling.MinP <= 1f))
        {
            errors.Add(new(RequestFieldNames.MinP, $"must lie in [0, 1] (got {sampling.MinP})."));
        }
        var maxPenalty = limits.MaxOutputPenalty;
        if (!(Math.Abs(sampling.PresencePenalty) <= maxPenalty))
        {
            errors.Add(new(RequestFieldNames.PresencePenalty, $"must lie in [-{maxPenalty}, {maxPenalty}] (got {sampling.PresencePenalty})."));
        }
        if (!(Math.Abs(sampling.FrequencyPenalty) <= maxPenalty))
        {
            errors.Add(new(RequestFieldNames.FrequencyPenalty, $"must lie in [-{maxPenalty}, {maxPenalty}] (got {sampling.FrequencyPenalty})."));
        }
        if (!(sampling.RepetitionPenalty > 0f && sampling.RepetitionPenalty <= limits.MaxRepetitionPenalty))
        {
            errors.Add(new(RequestFieldNames.RepetitionPenalty, $"must lie in (0, {limits.MaxRepetitionPenalty}] (got {sampling.RepetitionPenalty}; 1 is off)."));
        }
        var bias = sampling.LogitBias;
        if (bias.Count > limits.MaxLogitBiasEntries)
        {
            errors.Add(new(RequestFieldNames.LogitBias, $"may hold at most {limits.MaxLogitBiasEntries} tokens (got {bias.Count})."));
        }
        foreach (var (token, value) in bias)
        {
            if (token < 0 || token >= limits.VocabSize)
            {
                errors.Add(new(RequestFieldNames.LogitBias, $"token id {token} is outside the vocabulary (0..{limits.VocabSize - 1})."));
                break;
            }
            if (!(Math.Abs(value) <= limits.MaxLogitBias))
            {
                errors.Add(new(RequestFieldNames.LogitBias, $"the bias of token {token} must lie in [-{limits.MaxLogitBias}, {limits.MaxLogitBias}] (got {value})."));
                break;
            }
        }
    }

    private static void Choices(GenerationRequest request, ServingLimits limits, List<FieldError> errors)
    {
        if (request.Choices < 1 || request.Choices > limits.MaxChoices)
        {
            errors.Add(new(RequestFieldNames.N, $"must lie in 1..{limits.MaxChoices} (got {request.Choices})."));
        }
        else if (request.Choices > 1 && request.SessionId is not null)
        {
            errors.Add(new(RequestFieldNames.N, "a session holds one continuation, so n must be 1 with session_id."));
        }
        var field = request.Fields.TopLogprobs;
        var maxLogprobs = field == RequestFieldNames.TopLogprobsField ? limits.MaxChatTopLogprobs : limits.MaxCompletionLogprobs;
        if (request.TopLogprobs is { } top && (top < 0 || top > maxLogprobs))
        {
            errors.Add(new(field, $"must lie in 0..{maxLogprobs} (got {top})."));
        }
    }

    private static void Stops(GenerationRequest request, ServingLimits limits, List<FieldError> errors)
    {
        var stops = request.StopSequences;
        if (stops.Count > 0 && !limits.HasTokenizer)
        {
            errors.Add(new(RequestFieldNames.Stop, "stop strings need a tokenizer and this model has none (use stop_token_ids)."));
        }
        if (stops.Count > limits.MaxStopSequences)
        {
            errors.Add(new(RequestFieldNames.Stop, $"at most {limits.MaxStopSequences} stop sequences are allowed (got {stops.Count})."));
        }
        if (stops.Any(string.IsNullOrEmpty))
        {
            errors.Add(new(RequestFieldNames.Stop, "stop sequences must not be empty."));
        }
        if (stops.FirstOrDefault(s => s is not null && s.Length > limits.MaxStopSequenceLength) is { } tooLong)
        {
            errors.Add(new(RequestFieldNames.Stop, $"a stop sequence may be at most {limits.MaxStopSequenceLength} characters (got {tooLong.Length})."));
        }
        foreach (var id in request.StopTokenIds)
        {
            if (id < 0 || id >= limits.VocabSize)
            {
                errors.Add(new(RequestFieldNames.StopTokenIds, $"stop token ids must lie in 0..{limits.VocabSize - 1} (got {id})."));
                break;
            }
        }
    }
}
