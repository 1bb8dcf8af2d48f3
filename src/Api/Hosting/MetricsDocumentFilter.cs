using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace GqaService.Api.Hosting;

/// <summary>/metrics is mapped by the Prometheus exporter outside ApiExplorer; list it so the document names every endpoint.</summary>
internal sealed class MetricsDocumentFilter : IDocumentFilter
{
    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        var operation = new OpenApiOperation
        {
            Summary = "Prometheus scrape endpoint (OpenTelemetry): gqa_api_* request series and the engine's gqa_engine_* series.",
            Tags = new HashSet<OpenApiTagReference> { new("Metrics", document) },
            Responses = new OpenApiResponses
            {
                ["200"] = new OpenApiResponse
                {
                    Description = "Prometheus text exposition format.",
                    Content = new Dictionary<string, OpenApiMediaType> { ["text/plain"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } } },
                },
            },
        };
        document.Paths.Add("/metrics", new OpenApiPathItem { Operations = new Dictionary<HttpMethod, OpenApiOperation> { [HttpMethod.Get] = operation } });
    }
}
