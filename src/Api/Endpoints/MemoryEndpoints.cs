using Microsoft.AspNetCore.Mvc;
using GqaService.Api.Contracts;
using GqaService.Inference.Engine;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GqaService.Api.Endpoints;

public static class MemoryEndpoints
{
    public static RouteGroupBuilder MapMemory(this RouteGroupBuilder v1)
    {
        v1.MapGet("/memory", GetMemory)
            .WithName("GetMemory")
            .WithTags("Memory")
            .WithSummary("KV-cache pool, per-session use, fragmentation, GQA saving over MHA, process memory.");
        return v1;
    }

    public static Ok<MemoryReport> GetMemory([FromServices] IInferenceEngine engine) => TypedResults.Ok(engine.GetMemorySnapshot().ToReport());
}
