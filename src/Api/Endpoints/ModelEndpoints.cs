using Microsoft.AspNetCore.Mvc;
using GqaService.Api.Contracts;
using GqaService.Inference.Engine;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GqaService.Api.Endpoints;

public static class ModelEndpoints
{
    public static RouteGroupBuilder MapModels(this RouteGroupBuilder v1)
    {
        v1.MapGet("/models", ListModels)
            .WithName("ListModels")
            .WithTags("Models")
            .WithSummary("The served model (OpenAI list shape, plus its GQA architecture).");
        return v1;
    }

    public static Ok<ModelList> ListModels([FromServices] IInferenceEngine engine, [FromServices] TimeProvider time) =>
        TypedResults.Ok(new ModelList([engine.Model.ToCard(time.GetUtcNow().ToUnixTimeSeconds())]));
}
