using GqaService.Api.Security;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace GqaService.Api.Swagger;

/// <summary>
/// Makes each operation teach: working request examples, the SSE framing of a streamed answer, a real problem for every
/// error status, and the Bearer requirement (the padlock) only on operations that need a key when keys are configured.
/// </summary>
internal sealed class TeachingOperationFilter : IOperationFilter
{
    public const string SchemeName = "Bearer";

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var (requestExample, streamExample) = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<Microsoft.AspNetCore.Routing.IEndpointNameMetadata>()
            .FirstOrDefault()?.EndpointName switch
        {
            "CreateCompletion" => (SwaggerExamples.CompletionRequest(), SwaggerExamples.CompletionStream),
            "CreateChatCompletion" => (SwaggerExamples.ChatCompletionRequest(), SwaggerExamples.ChatStream),
            _ => (null, null),
        };
        if (requestExample is not null && operation.RequestBody is OpenApiRequestBody body && body.Content?.TryGetValue("application/json", out var json) == true)
        {
            body.Required = true;
            json.Example = requestExample;
        }
        if (operation.Responses is null)
        {
            return;
        }
        if (streamExample is not null && operation.Responses.TryGetValue("200", out var ok) && ok.Content?.TryGetValue("text/event-stream", out var sse) == true)
        {
            sse.Example = streamExample;
        }
        var path = "/" + (context.ApiDescription.RelativePath ?? "");
        if (!OpenPaths.Contains(path))
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [] }];
            operation.Responses.TryAdd("401", new OpenApiResponse
            {
                Description = "Only when Api:ApiKeys is configured: no valid Authorization: Bearer <key>.",
                Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() },
            });
        }
        foreach (var (status, response) in operation.Responses)
        {
            if (SwaggerExamples.Problem(status) is { } problem && response.Content is { } content)
            {
                foreach (var mediaType in content.Where(c => c.Key.Contains("json", StringComparison.Ordinal)).Select(c => c.Value))
                {
                    mediaType.Example = problem;
                }
            }
        }
    }
}
