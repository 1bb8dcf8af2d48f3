using GqaService.Api.Contracts;
using GqaService.Api.Errors;
using GqaService.Api.Generation;
using GqaService.Api.Security;
using GqaService.Inference.Engine;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace GqaService.Api.Endpoints;

/// <summary>
/// POST /tokenize and /detokenize in vLLM's shapes, so a user sees exactly what the model is fed: a chat is rendered and
/// encoded by the same <see cref="PromptResolver"/> call the chat endpoint makes (same validation, template and BOS rule).
/// </summary>
public static class TokenizerEndpoints
{
    public static IEndpointRouteBuilder MapTokenizer(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithTags("Tokenizer").RequireRateLimiting(RateLimiting.PolicyName);
        group.MapPost("/tokenize", Tokenize).WithName("Tokenize")
            .WithSummary("Token ids of a prompt, or of chat messages exactly as /v1/chat/completions feeds them to the model.")
            .WithDescription("Give prompt (a string, encoded as /v1/completions encodes it: BOS where the tokenizer adds one, unless " +
                "add_special_tokens is false) or messages (rendered with the model's chat template, with the assistant's turn opened " +
                "unless add_generation_prompt is false). Answers tokens, count and max_model_len (the served context); with " +
                "return_token_strs also each token's text.")
            .ProducesValidationProblem();
        group.MapPost("/detokenize", Detokenize).WithName("Detokenize")
            .WithSummary("The text of token ids.")
            .ProducesValidationProblem();
        return app;
    }

    public static Results<Ok<TokenizeResponse>, ValidationProblem> Tokenize(TokenizeRequest request, [FromServices] IInferenceEngine engine,
        [FromServices] IChatTemplate template)
    {
        var errors = new ValidationErrors();
        UnsupportedFields.Check(request.OtherFields, 1, errors);
        var tokens = Resolve(request, engine, template, errors);
        if (tokens is null || errors.Any)
        {
            return ProblemResults.Validation(errors);
        }
        return TypedResults.Ok(new TokenizeResponse
        {
            Count = tokens.Count,
            MaxModelLen = engine.Limits.ContextTokens,
            Tokens = tokens,
            TokenStrs = request.ReturnTokenStrs == true ? [.. tokens.Select(id => engine.Tokenizer!.Decode([id]))] : null,
        });
    }

    public static Results<Ok<DetokenizeResponse>, ValidationProblem> Detokenize(DetokenizeRequest request, [FromServices] IInferenceEngine engine)
    {
        var vocabulary = engine.Limits.VocabSize;
        var errors = new ValidationErrors();
        if (request.Tokens is null)
        {
            errors.Add("tokens", "is required: an array of token ids.", ValidationCodes.MissingRequired);
        }
        else if (request.Tokens.ToList().FindIndex(id => id < 0 || id >= vocabulary) is var at and >= 0)
        {
            errors.Add($"tokens[{at}]", $"token id {request.Tokens[at]} is outside the vocabulary (0..{vocabulary - 1}).");
        }
        if (engine.Tokenizer is null)
        {
            errors.Add("tokens", "this model has no tokenizer, so ids cannot be turned into text.");
        }
        return errors.Any
            ? ProblemResults.Validation(errors)
            : TypedResults.Ok(new DetokenizeResponse(engine.Tokenizer!.Decode(request.Tokens!)));
    }

    private static IReadOnlyList<int>? Resolve(TokenizeRequest request, IInferenceEngine engine, IChatTemplate template, ValidationErrors errors)
    {
        switch (request)
        {
            case { Prompt: not null, Messages: not null }:
                errors.Add("prompt", "give either prompt or messages, not both.");
                return null;
            case { Messages: not null, AddSpecialTokens: not null }:
                errors.Add("add_special_tokens", "applies to prompt only: messages are encoded exactly as the chat endpoint encodes them.");
                return null;
            case { Messages: not null }:
                return PromptResolver.FromMessages(request.Messages, engine, template, errors, request.AddGenerationPrompt ?? true);
            case { AddGenerationPrompt: not null }:
                errors.Add("add_generation_prompt", "applies to messages only.");
                return null;
            case { Prompt: { } prompt }:
                return PromptResolver.FromPrompt(PromptInput.FromText(prompt), engine, errors, addBos: request.AddSpecialTokens ?? true);
            default:
                errors.Add("prompt", "give prompt (a string) or messages.", ValidationCodes.MissingRequired);
                return null;
        }
    }
}
