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
        v1.MapGet("/models/{**id}", GetModel)
            .WithName("GetModel")
            .WithTags("Models")
            .WithSummary("One model by id (OpenAI's models.retrieve): the served one, or 404.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return v1;
    }

    public static Ok<ModelList> ListModels([FromServices] IInferenceEngine engine, [FromServices] TimeProvider time) =>
        TypedResults.Ok(new ModelList([engine.Model.ToCard(time.GetUtcNow().ToUnixTimeSeconds())]));

    public static Results<Ok<ModelCard>, ProblemHttpResult> GetModel(string id, [FromServices] IInferenceEngine engine, [FromServices] TimeProvider time) =>
        id == engine.Model.Id
            ? TypedResults.Ok(engine.Model.ToCard(time.GetUtcNow().ToUnixTimeSeconds()))
            : Errors.ProblemResults.ModelNotFound(id, engine.Model.Id);
}
