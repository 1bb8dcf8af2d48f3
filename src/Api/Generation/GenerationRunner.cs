using System.Diagnostics;
using GqaService.Api.Contracts;
using GqaService.Api.Errors;
using GqaService.Api.Hosting;
using GqaService.Api.Observability;
using GqaService.Inference.Engine;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace GqaService.Api.Generation;

/// <summary>
/// The flow both generation endpoints share: submit, wait for the first event under the deadline (503 when it passes before
/// the response starts), then either collect one JSON body or stream Server-Sent Events. Engine refusals become problem details.
/// </summary>
public sealed class GenerationRunner(IInferenceEngine engine, IOptionsMonitor<ApiOptions> options, ApiTelemetry telemetry,
    ILogger<GenerationRunner> logger, TimeProvider time, IOptions<JsonOptions> json)
{
    public async Task<Results<Ok<TResponse>, ServerSentEventsStream<TChunk>, ValidationProblem, ProblemHttpResult>> RunAsync<TResponse, TChunk>(
        PreparedGeneration prepared, ICompletionShape<TResponse, TChunk> shape, HttpContext context)
    {
        var timeout = options.CurrentValue.RequestTimeout;
        var started = time.GetTimestamp();
        var request = prepared.Request with { Deadline = time.GetUtcNow() + timeout };
        var parent = Activity.Current?.Context ?? default;
        var queueSpan = ApiTelemetry.ActivitySource.StartActivity("engine.queue", ActivityKind.Internal, parent);
        GenerationHandle handle;
        try
        {
            handle = engine.Submit(request);
        }
        catch (Exception refusal) when (refusal is InvalidGenerationRequestException or EngineOverloadedException or SessionBusyException or EngineUnavailableException)
        {
            queueSpan?.SetStatus(ActivityStatusCode.Error, refusal.GetType().Name);
            queueSpan?.Dispose();
            return Refused<TResponse, TChunk>(refusal, shape.Endpoint, context);
        }
        var generation = new ActiveGeneration(handle, prepared, shape.Endpoint, started, parent, queueSpan, telemetry, logger, time, timeout,
            context.RequestAborted);
        var header = new ResponseHeader(request.RequestId, time.GetUtcNow().ToUnixTimeSeconds(), engine.Model.Id);
        var first = await generation.ReadAsync();
        if (NotStarted(first, generation, timeout, request.RequestId) is { } problem)
        {
            generation.Dispose();
            return problem;
        }
        if (prepared.Stream)
        {
            var stream = new SseStreamer<TResponse, TChunk>(generation, prepared, shape, header, json.Value.SerializerOptions, logger);
            return new ServerSentEventsStream<TChunk>(httpContext => stream.WriteAsync(httpContext, first!));
        }
        using (generation)
        {
            return await CollectAsync(generation, first!, prepared, shape, header, timeout);
        }
    }

    private static async Task<Results<Ok<TResponse>, ServerSentEventsStream<TChunk>, ValidationProblem, ProblemHttpResult>> CollectAsync<TResponse, TChunk>(
        ActiveGeneration generation, GenerationEvent first, PreparedGeneration prepared, ICompletionShape<TResponse, TChunk> shape,
        ResponseHeader header, TimeSpan timeout)
    {
        var next = (GenerationEvent?)first;
        while (next is TokenGenerated)
        {
            next = await generation.ReadAsync();
        }
        switch (next)
        {
            case GenerationFinished { Reason: not FinishReason.Cancelled } finished:
                generation.Complete(RequestOutcome.Ok, finished);
                var ids = prepared.ReturnTokenIds ? generation.TokenIds.ToList() : null;
                return TypedResults.Ok(shape.Response(header, generation.Text, ids, finished.Reason.ToWire(), finished.Usage.ToUsage()));
            case GenerationFailed failed:
                generation.Complete(RequestOutcome.EngineFailed);
                return ProblemResults.EngineFailed(failed.Code, failed.Message);
            default:
                return Interrupted(generation, timeout);
        }
    }

    /// <summary>A problem when the first event shows the request never produced anything useful; null to go on.</summary>
    private ProblemHttpResult? NotStarted(GenerationEvent? first, ActiveGeneration generation, TimeSpan timeout, string requestId)
    {
        switch (first)
        {
            case GenerationFailed failed:
                CompletionLog.EngineFailed(logger, requestId, failed.Code, failed.Message);
                generation.Complete(RequestOutcome.EngineFailed);
                return ProblemResults.EngineFailed(failed.Code, failed.Message);
            case null:
            case GenerationFinished { Reason: FinishReason.Cancelled }:
                return Interrupted(generation, timeout);
            default:
                return null;
        }
    }

    private static ProblemHttpResult Interrupted(ActiveGeneration generation, TimeSpan timeout)
    {
        if (generation.ClientGone)
        {
            generation.Complete(RequestOutcome.ClientCancelled);
            return ProblemResults.ClientClosed();
        }
        // The local deadline or the engine's (it reports Cancelled when GenerationRequest.Deadline passes).
        generation.Complete(RequestOutcome.Timeout);
        return ProblemResults.Timeout(timeout, generation.TokenIds.Count);
    }

    private Results<Ok<TResponse>, ServerSentEventsStream<TChunk>, ValidationProblem, ProblemHttpResult> Refused<TResponse, TChunk>(
        Exception refusal, string endpoint, HttpContext context)
    {
        switch (refusal)
        {
            case InvalidGenerationRequestException invalid:
                telemetry.RecordOutcome(endpoint, RequestOutcome.Invalid);
                return ProblemResults.Validation(ValidationErrors.From(invalid.Errors));
            case EngineOverloadedException overloaded:
                telemetry.RecordOutcome(endpoint, RequestOutcome.Overloaded);
                return ProblemResults.Overloaded(context, overloaded);
            case EngineUnavailableException unavailable:
                telemetry.RecordOutcome(endpoint, RequestOutcome.EngineFailed);
                return ProblemResults.Unavailable(unavailable);
            default:
                telemetry.RecordOutcome(endpoint, RequestOutcome.SessionBusy);
                return ProblemResults.SessionBusy((SessionBusyException)refusal);
        }
    }
}
