using GqaService.Api.Generation;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace GqaService.Api.Hosting;

/// <summary>Adds the text/event-stream alternative (with its chunk schema) next to the JSON body of a streaming endpoint's 200.</summary>
internal sealed class ServerSentEventsOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var streamed = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<ServerSentEventsMetadata>().FirstOrDefault();
        if (streamed is null || operation.Responses is null || !operation.Responses.TryGetValue("200", out var ok) || ok.Content is null)
        {
            return;
        }
        ok.Content["text/event-stream"] = new OpenApiMediaType
        {
            Schema = context.SchemaGenerator.GenerateSchema(streamed.ChunkType, context.SchemaRepository),
        };
    }
}
