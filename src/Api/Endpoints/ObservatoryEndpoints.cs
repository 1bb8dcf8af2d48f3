using GqaService.Api.Contracts;
using GqaService.Api.Errors;
using GqaService.Api.Security;
using GqaService.Api.Generation;
using GqaService.Inference.Engine;
using GqaService.Inference.Engine.Events;
using GqaService.Inference.KvCache.Capacity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace GqaService.Api.Endpoints;

/// <summary>What the KV observatory page reads: the engine's event stream, who owns each block, and capacity arithmetic.</summary>
public static class ObservatoryEndpoints
{
    public const int MaxEventBuffer = 65_536;

    public static RouteGroupBuilder MapObservatory(this RouteGroupBuilder v1)
    {
        v1.MapGet("/events", StreamEvents)
            .WithName("StreamEngineEvents")
            .WithTags("Observatory")
            .WithSummary("Server-Sent Events of engine events (one `data: {json}` per event, `kind` names it).")
            .WithDescription("queued, admitted, rejected (with predicted blocks), prefix_reused, blocks_allocated / blocks_freed "
                + "(batched per step and owner: block ids, positions), blocks_shared (reference counts), session_created / _evicted / "
                + "_deleted, preempted (blocks released, tokens to recompute), finished (with its KV receipt), stats (a few times a "
                + "second). Every event has a gap-free `sequence`. Each reader has its own queue of `buffer` events (default 4096): a "
                + "reader that falls behind loses the newest events and then gets one `dropped` event with their `count`; reload "
                + "`/v1/kv/blocks` then. The engine never waits for a reader.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        v1.MapGet("/kv/blocks", GetBlockMap)
            .WithName("GetBlockMap")
            .WithTags("Observatory")
            .WithSummary("Every KV block and its owner (session or request), position in the owner's block table, tokens held and reference count.")
            .WithDescription("Parallel arrays indexed by block id; `owner_of` indexes `owners`, -1 for a free block. `sequence` is the last "
                + "event published before the map: apply only events after it.");
        v1.MapGet("/capacity", GetCapacity)
            .WithName("GetCapacity")
            .WithTags("Observatory")
            .WithSummary("The served model's KV bytes per token, blocks per sequence at `context` tokens, and how many such sequences the pool holds, under its GQA layout, MHA and MQA.")
            .ProducesValidationProblem();
        v1.MapPost("/capacity", PostCapacity)
            .WithName("ComputeCapacity")
            .WithTags("Observatory")
            .WithSummary("The same arithmetic for any shape: bytes per token, blocks per sequence, sequences in the current pool and in `budget_bytes`.")
            .ProducesValidationProblem();
        return v1;
    }

    public static Results<ServerSentEventsStream<EngineEvent>, ValidationProblem> StreamEvents(
        [FromServices] EngineEvents events, [FromServices] IOptions<JsonOptions> json, int? buffer = null)
    {
        if (buffer is < 1 or > MaxEventBuffer)
        {
            return ProblemResults.Validation(ValidationErrors.Single("buffer", $"must lie in 1..{MaxEventBuffer} (got {buffer})."));
        }
        return new ServerSentEventsStream<EngineEvent>(async context =>
        {
            // Subscribed before the headers go out: a reader that sees 200 and then loads /v1/kv/blocks misses nothing.
            var tenant = ApiCaller.Of(context).Tenant;
            using var subscription = events.Subscribe(buffer ?? EngineEvents.DefaultCapacity);
            SseWriter.PrepareHeaders(context.Response);
            await context.Response.StartAsync(context.RequestAborted);
            var writer = new SseWriter(context.Response, json.Value.SerializerOptions, context.RequestAborted);
            try
            {
                await foreach (var engineEvent in subscription.ReadAllAsync(context.RequestAborted))
                {
                    await writer.WriteAsync(TenantView.Of(engineEvent, tenant));
                }
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
            }
        });
    }

    public static Ok<BlockMap> GetBlockMap([FromServices] EngineEvents events, HttpContext context) =>
        TypedResults.Ok(TenantView.Of(events.BlockMap, ApiCaller.Of(context).Tenant));

    public static Results<Ok<KvCapacityReport>, ValidationProblem> GetCapacity([FromServices] IInferenceEngine engine, int? context = null)
    {
        var config = engine.Model.Config;
        var memory = engine.GetMemorySnapshot();
        var tokens = context ?? engine.Limits.ContextTokens;
        if (tokens < 1)
        {
            return ProblemResults.Validation(ValidationErrors.Single("context", $"must be at least 1 (got {tokens})."));
        }
        var shape = new KvCapacityShape(config.NumLayers, config.NumHeads, config.NumKvHeads, config.HeadDim, memory.KvDtype, memory.BlockSize);
        return TypedResults.Ok(KvCapacity.Compute(shape, tokens, memory.BytesTotal, budgetBytes: null));
    }

    public static Results<Ok<KvCapacityReport>, ValidationProblem> PostCapacity(CapacityRequest request, [FromServices] IInferenceEngine engine)
    {
        var errors = new ValidationErrors();
        void Positive(string field, long value)
        {
            if (value < 1)
            {
                errors.Add(field, $"must be at least 1 (got {value}).");
            }
        }
        Positive("layers", request.Layers);
        Positive("heads", request.Heads);
        Positive("kv_heads", request.KvHeads);
        Positive("head_dim", request.HeadDim);
        Positive("context", request.Context);
        if (request.BlockSize is { } blockSize)
        {
            Positive("block_size", blockSize);
        }
        if (request.KvHeads >= 1 && request.Heads >= 1 && request.Heads % request.KvHeads != 0)
        {
            errors.Add("kv_heads", $"must divide heads ({request.Heads}); got {request.KvHeads}.");
        }
        if (!KvCapacity.DtypeBytes.ContainsKey(request.Dtype))
        {
            errors.Add("dtype", $"must be one of {string.Join(", ", KvCapacity.DtypeBytes.Keys)} (got '{request.Dtype}').");
        }
        if (request.BudgetBytes is < 0)
        {
            errors.Add("budget_bytes", $"must not be negative (got {request.BudgetBytes}).");
        }
        if (errors.Any)
        {
            return ProblemResults.Validation(errors);
        }
        var memory = engine.IsReady ? engine.GetMemorySnapshot() : null;
        var shape = new KvCapacityShape(request.Layers, request.Heads, request.KvHeads, request.HeadDim, request.Dtype,
            request.BlockSize ?? memory?.BlockSize ?? 16);
        return TypedResults.Ok(KvCapacity.Compute(shape, request.Context, memory?.BytesTotal, request.BudgetBytes));
    }
}
