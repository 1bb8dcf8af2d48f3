using GqaService.Api.Contracts;
using GqaService.Api.Errors;
using GqaService.Api.Hosting;
using GqaService.Inference.Engine;

namespace GqaService.Api.Generation;

/// <summary>Validates a wire request and builds the engine's <see cref="GenerationRequest"/> (null, with the errors filled in, when invalid).</summary>
internal static class RequestMapper
{
    public static PreparedGeneration? Completion(CompletionRequest body, string? sessionHeader, string requestId, IInferenceEngine engine,
        ApiOptions options, ValidationErrors errors)
    {
        var promptIds = PromptResolver.FromPrompt(body.Prompt, engine, errors);
        var maxTokens = CommonFieldValidator.MaxTokens(body.MaxTokens, "max_tokens", options, errors);
        return Build(body, sessionHeader, requestId, engine, promptIds, maxTokens, chat: false, errors);
    }

    public static PreparedGeneration? Chat(ChatCompletionRequest body, string? sessionHeader, string requestId, IInferenceEngine engine,
        IChatTemplate template, ApiOptions options, ValidationErrors errors)
    {
        var promptIds = PromptResolver.FromMessages(body.Messages, engine, template, errors);
        var maxTokens = body.MaxCompletionTokens is not null
            ? CommonFieldValidator.MaxTokens(body.MaxCompletionTokens, "max_completion_tokens", options, errors)
            : CommonFieldValidator.MaxTokens(body.MaxTokens, "max_tokens", options, errors);
        return Build(body, sessionHeader, requestId, engine, promptIds, maxTokens, chat: true, errors);
    }

    private static PreparedGeneration? Build(CompletionRequestBase body, string? sessionHeader, string requestId, IInferenceEngine engine,
        IReadOnlyList<int> promptIds, int maxTokens, bool chat, ValidationErrors errors)
    {
        CommonFieldValidator.SingleChoice(body.N, errors);
        var sampling = CommonFieldValidator.Sampling(body, errors);
        var stop = CommonFieldValidator.StopSequences(body.Stop, engine.Tokenizer is not null, errors);
        var session = CommonFieldValidator.SessionId(body.SessionId, sessionHeader, errors);
        if (errors.Any)
        {
            return null;
        }
        var request = new GenerationRequest
        {
            RequestId = requestId,
            PromptTokenIds = promptIds,
            MaxTokens = maxTokens,
            Sampling = sampling,
            IgnoreEos = body.IgnoreEos ?? false,
            StopSequences = stop,
            StopTokenIds = body.StopTokenIds ?? [],
            SessionId = session,
        };
        var stream = body.Stream ?? false;
        return new PreparedGeneration(request, stream, stream && (body.StreamOptions?.IncludeUsage ?? false), body.ReturnTokenIds ?? false, chat);
    }
}
