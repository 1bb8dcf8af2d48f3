using GqaService.Api.Contracts;
using GqaService.Api.Errors;
using GqaService.Api.Generation;
using GqaService.Api.Observability;
using GqaService.Inference.Engine;
using GqaService.Inference.Limits;
using GqaService.Inference.Perplexity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace GqaService.Api.Endpoints;

/// <summary>POST /v1/perplexity: the served model's perplexity on a text, through the same decoder and paged KV cache as generation.</summary>
public static class PerplexityEndpoints
{
    public const string Endpoint = "perplexity";

    private static readonly Lazy<byte[]> GqaTable = new(() =>
    {
        using var resource = typeof(PerplexityEndpoints).Assembly.GetManifestResourceStream("GqaService.Api.gqa-table.json")
            ?? throw new InvalidOperationException("The GQA table resource is missing from the build.");
        using var copy = new MemoryStream();
        resource.CopyTo(copy);
        return copy.ToArray();
    });

    public static RouteGroupBuilder MapPerplexity(this RouteGroupBuilder v1)
    {
        v1.MapPost("/perplexity", MeasurePerplexity)
            .WithName("MeasurePerplexity")
            .WithTags("Quality")
            .WithSummary("Perplexity of the served model on a text or token ids (chunked into context-sized windows with a stride).")
            .WithDescription("The input is cut into windows of the served context less one token, starting every `stride` tokens; each " +
                "token after the first is scored once, by the first window that reaches it. Each window runs as one scoring request in the " +
                "engine's batches (a prefill with all-token logits; nothing is generated or cached under a session). Returns the scored token " +
                "count, the mean negative log-likelihood (nats), its exp (perplexity) and the KV bytes per token of the loaded layout, so " +
                "regrouped K/V heads (Inference:KvHeads) or another KV precision can be compared on the same text.")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status500InternalServerError)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        v1.MapGet("/perplexity/gqa-table", GetGqaTable)
            .WithName("GetGqaTable")
            .WithTags("Quality")
            .WithSummary("The measured GQA table of docs/gqa.md: stories260K natively and regrouped, perplexity, KV bytes per token, pool tokens, tok/s.")
            .WithDescription("A recorded measurement (the gqa benchmark), not one of the served model: each row names the model, its K/V heads and " +
                "what it was pooled from, with the machine's load average at the time. Regroup the served model (Inference:KvHeads) and POST " +
                "/v1/perplexity to measure your own.")
            .Produces(StatusCodes.Status200OK, contentType: "application/json");
        return v1;
    }

    public static IResult GetGqaTable() => TypedResults.Bytes(GqaTable.Value, "application/json");

    public static async Task<Results<Ok<PerplexityResponse>, ValidationProblem, ProblemHttpResult>> MeasurePerplexity(
        PerplexityRequest request, [FromServices] IInferenceEngine engine, [FromServices] ApiTelemetry telemetry, HttpContext context)
    {
        if (!engine.IsReady)
        {
            return ProblemResults.NotReady();
        }
        var errors = new ValidationErrors();
        var tokens = PromptResolver.FromPrompt(request.Input, engine, errors, RequestFieldNames.Perplexity.Prompt);
        foreach (var error in tokens is null ? [] : GenerationRequestValidator.ValidatePerplexity(tokens, request.Stride, engine.Limits))
        {
            errors.Add(error.Field, error.Message);
        }
        if (errors.Any || tokens is null)
        {
            telemetry.RecordOutcome(Endpoint, RequestOutcome.Invalid);
            return ProblemResults.Validation(errors);
        }
        PerplexityOutcome outcome;
        try
        {
            outcome = await PerplexityRunner.RunAsync(engine, tokens, request.Stride, "ppl-" + Guid.NewGuid().ToString("N"), context.RequestAborted);
        }
        catch (EngineOverloadedException overloaded)
        {
            telemetry.RecordOutcome(Endpoint, RequestOutcome.Overloaded);
            return ProblemResults.Overloaded(context, overloaded);
        }
        catch (EngineUnavailableException unavailable)
        {
            telemetry.RecordOutcome(Endpoint, RequestOutcome.EngineFailed);
            return ProblemResults.Unavailable(unavailable);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            telemetry.RecordOutcome(Endpoint, RequestOutcome.ClientCancelled);
            return ProblemResults.ClientClosed();
        }
        if (outcome.Failed is { } failed)
        {
            telemetry.RecordOutcome(Endpoint, failed.Code == GenerationFailed.DeadlineExceeded ? RequestOutcome.Timeout : RequestOutcome.EngineFailed);
            return ProblemResults.EngineFailed(failed.Code, failed.Message);
        }
        telemetry.RecordOutcome(Endpoint, RequestOutcome.Ok);
        return TypedResults.Ok(ToResponse(engine.Model, outcome.Result!));
    }

    public static PerplexityResponse ToResponse(ModelDescription model, PerplexityResult result) => new()
    {
        Model = model.Id,
        Tokens = result.Tokens,
        MeanNll = result.MeanNegativeLogLikelihood,
        Perplexity = result.Perplexity,
        KvBytesPerToken = result.KvBytesPerToken,
        NumKvHeads = model.Config.NumKvHeads,
        RegroupedFromKvHeads = model.RegroupedFromKvHeads,
        Window = result.Window,
        Stride = result.Stride,
        Windows = result.Windows,
    };
}
