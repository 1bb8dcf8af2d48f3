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
            .WithSummary("KV-cache pool, the caller's sessions, fragmentation, GQA saving over MHA, process memory.");
        return v1;
    }

    /// <summary>The pool totals are everyone's; the sessions listed are only the caller's tenant's.</summary>
    public static Ok<MemoryReport> GetMemory([FromServices] IInferenceEngine engine, HttpContext context) =>
        TypedResults.Ok(engine.GetMemorySnapshot(Security.ApiCaller.Of(context).Tenant).ToReport());
}
