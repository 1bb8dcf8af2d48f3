using GqaService.Api.Contracts;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace GqaService.Api.Swagger;

/// <summary>
/// Marks the fields a request cannot do without. The contract types keep them nullable so a missing field reaches the
/// validator (a 400 naming it) instead of a binding failure; the document still says they are required.
/// </summary>
internal sealed class RequiredFieldsSchemaFilter : ISchemaFilter
{
    private static readonly Dictionary<Type, string[]> RequiredByType = new()
    {
        [typeof(CompletionRequest)] = ["prompt"],
        [typeof(ChatCompletionRequest)] = ["messages"],
        [typeof(ChatMessageInput)] = ["role", "content"],
    };

    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is OpenApiSchema concrete && RequiredByType.TryGetValue(context.Type, out var required))
        {
            concrete.Required ??= new HashSet<string>();
            foreach (var field in required)
            {
                concrete.Required.Add(field);
            }
        }
    }
}
