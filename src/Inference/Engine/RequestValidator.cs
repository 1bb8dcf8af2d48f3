using GqaService.Inference.Model;
using GqaService.Inference.Tokenization;

namespace GqaService.Inference.Engine;

/// <summary>Refuses, before queueing, what the engine could never serve; each error names the request field at fault.</summary>
internal static class RequestValidator
{
    public static void Validate(GenerationRequest request, ModelConfig config, ITextTokenizer? tokenizer, EngineOptions options, int maxContext, int totalBlocks, int blockSize)
    {
        var prompt = request.PromptTokenIds;
        if (prompt.Count == 0)
        {
            throw new InvalidGenerationRequestException("prompt", "The prompt is empty; at least one token is needed.");
        }
        for (var i = 0; i < prompt.Count; i++)
        {
            if (prompt[i] < 0 || prompt[i] >= config.VocabSize)
            {
                throw new InvalidGenerationRequestException("prompt", $"Token id {prompt[i]} at index {i} is outside the vocabulary [0, {config.VocabSize}).");
            }
        }
        if (prompt.Count >= maxContext)
        {
            throw new InvalidGenerationRequestException("prompt",
                $"The prompt has {prompt.Count} tokens but the context holds {maxContext}, leaving no room to generate.");
        }
        var promptBlocks = (prompt.Count + blockSize - 1) / blockSize;
        if (promptBlocks > totalBlocks)
        {
            throw new InvalidGenerationRequestException("prompt",
                $"The prompt needs {promptBlocks} KV blocks but the whole pool holds {totalBlocks}.");
        }
        if (request.MaxTokens < 1 || request.MaxTokens > options.MaxTokensLimit)
        {
            throw new InvalidGenerationRequestException("max_tokens", $"max_tokens must be between 1 and {options.MaxTokensLimit}; got {request.MaxTokens}.");
        }
        var sampling = request.Sampling;
        if (!float.IsFinite(sampling.Temperature) || sampling.Temperature < 0)
        {
            throw new InvalidGenerationRequestException("temperature", $"temperature must be a finite number >= 0; got {sampling.Temperature}.");
        }
        if (!(sampling.TopP > 0 && sampling.TopP <= 1))
        {
            throw new InvalidGenerationRequestException("top_p", $"top_p must lie in (0, 1]; got {sampling.TopP}.");
        }
        if (sampling.TopK < 0)
        {
            throw new InvalidGenerationRequestException("top_k", $"top_k must be >= 0; got {sampling.TopK}.");
        }
        if (request.StopSequences.Count > 0 && tokenizer is null)
        {
            throw new InvalidGenerationRequestException("stop", "Stop strings need a tokenizer; this model has none (use token-id stops).");
        }
        if (request.StopSequences.Any(string.IsNullOrEmpty))
        {
            throw new InvalidGenerationRequestException("stop", "Stop strings must not be empty.");
        }
        if (request.StopTokenIds.Any(t => t < 0 || t >= config.VocabSize))
        {
            throw new InvalidGenerationRequestException("stop_token_ids", $"Stop token ids must lie in [0, {config.VocabSize}).");
        }
    }
}
