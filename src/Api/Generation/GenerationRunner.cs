using System.Diagnostics;
using GqaService.Api.Contracts;
using GqaService.Api.Errors;
using GqaService.Api.Observability;
using GqaService.Inference.Engine;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace GqaService.Api.Generation;

/// <summary>
/// The flow both generation endpoints share: submit, wait for the first event, then either collect one JSON body or stream
/// Server-Sent Events. Engine refusals and failures become problem details; a deadline is the engine's (it fails the request
/// with deadline_exceeded), never a second timer here.
/// </summary>
public sealed class GenerationRunner(IInferenceEngine engine, ApiTelemetry telemetry,
    ILogger<GenerationRunner> logger, TimeProvider time, IOptions<JsonOptions> json)
{
    public async Task<Results<Ok<TResponse>, ServerSentEventsStream<TChunk>, ValidationProblem, ProblemHttpResult>> RunAsync<TResponse, TChunk>(
        PreparedGeneration prepared, ICompletionShape<TResponse, TChunk> shape, HttpContext context)
    {
        var started = time.GetTimestamp();
        var request = prepared.Request;
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
        var generation = new ActiveGeneration(handle, prepared, shape.Endpoint, started, parent, queueSpan, telemetry, logger, time,
            context.RequestAborted, new LogprobsRenderer(engine.Tokenizer));
        var header = new ResponseHeader(request.RequestId, time.GetUtcNow().ToUnixTimeSeconds(), engine.Model.Id);
        var first = await generation.ReadAsync();
        if (NotStarted(first?.Event, generation, request.RequestId) is { } problem)
        {
            generation.Dispose();
            return problem;
        }
        if (prepared.Stream)
        {
            var stream = new SseStreamer<TResponse, TChunk>(generation, prepared, shape, header, json.Value.SerializerOptions, logger);
            return new ServerSentEventsStream<TChunk>(httpContext => stream.WriteAsync(httpContext, first!.Value));
        }
        using (generation)
        {
            return await CollectAsync(generation, first!.Value, prepared, shape, header);
        }
    }

    private static async Task<Results<Ok<TResponse>, ServerSentEventsStream<TChunk>, ValidationProblem, ProblemHttpResult>> CollectAsync<TResponse, TChunk>(
        ActiveGeneration generation, ChoiceEvent first, PreparedGeneration prepared, ICompletionShape<TResponse, TChunk> shape,
        ResponseHeader header)
    {
        var next = (ChoiceEvent?)first;
        var unfinished = generation.Choices.Count;
        while (next is { } tagged)
        {
            switch (tagged.Event)
            {
                case GenerationFinished { Reason: FinishReason.Cancelled }:
                    return Interrupted(generation);
                case GenerationFinished when --unfinished == 0:
                    var usage = GenerationUsage.Combine(generation.Choices.Select(c => c.Finished!.Usage).ToList());
                    var choices = generation.Choices.Select((c, index) => new ChoiceOutput(index, c.Text,
                        prepared.ReturnTokenIds ? c.TokenIds.ToList() : null,
                        prepared.Request.TopLogprobs is null ? null : c.Logprobs,
                        c.Finished!.Reason.ToWire())).ToList();
                    generation.Complete(RequestOutcome.Ok, usage, string.Join(",", choices.Select(c => c.FinishReason).Distinct()));
                    return TypedResults.Ok(shape.Response(header, choices, usage.ToUsage()));
                case GenerationFailed failed:
                    return Failed(generation, failed);
            }
            next = await generation.ReadAsync();
        }
        return Interrupted(generation);
    }

    /// <summary>A problem when the first event shows the request never produced anything useful; null to go on.</summary>
    private ProblemHttpResult? NotStarted(GenerationEvent? first, ActiveGeneration generation, string requestId)
    {
        switch (first)
        {
            case GenerationFailed failed:
                CompletionLog.EngineFailed(logger, requestId, failed.Code, failed.Message);
                return Failed(generation, failed);
            case null:
            case GenerationFinished { Reason: FinishReason.Cancelled }:
                return Interrupted(generation);
            default:
                return null;
        }
    }

    /// <summary>The engine's failure as a problem; its deadline says whether any output had been produced (and discarded).</summary>
    private static ProblemHttpResult Failed(ActiveGeneration generation, GenerationFailed failed)
    {
        if (failed.Code == GenerationFailed.DeadlineExceeded)
        {
            generation.Complete(RequestOutcome.Timeout);
            return ProblemResults.Timeout(failed.Message, generation.TokenCount);
        }
        generation.Complete(RequestOutcome.EngineFailed);
        return ProblemResults.EngineFailed(failed.Code, failed.Message);
    }

    private static ProblemHttpResult Interrupted(ActiveGeneration generation)
    {
        if (generation.ClientGone)
        {
            generation.Complete(RequestOutcome.ClientCancelled);
            return ProblemResults.ClientClosed();
        }
        generation.Complete(RequestOutcome.EngineFailed);
        return ProblemResults.EngineFailed("stream_incomplete", "The engine ended the request without finishing it.");
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
