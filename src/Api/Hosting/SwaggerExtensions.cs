using System.Reflection;
using GqaService.Api.Contracts;
using Microsoft.OpenApi;

namespace GqaService.Api.Hosting;

/// <summary>Swagger UI at /swagger, the document at /swagger/v1/swagger.json, schemas and examples from the XML comments.</summary>
public static class SwaggerExtensions
{
    public static IServiceCollection AddApiSwagger(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(swagger =>
        {
            swagger.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "GqaService",
                Version = "v1",
                Description = "OpenAI-compatible completions served by a paged-KV-cache engine for grouped-query-attention Llama models.",
            });
            var xml = Path.Combine(AppContext.BaseDirectory, $"{Assembly.GetExecutingAssembly().GetName().Name}.xml");
            if (File.Exists(xml))
            {
                swagger.IncludeXmlComments(xml);
            }
            swagger.MapType<PromptInput>(() => OneOf(
                new OpenApiSchema { Type = JsonSchemaType.String, Description = "Text; encoded with BOS." },
                new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.Integer }, Description = "Token ids, used as given." }));
            swagger.MapType<StopInput>(() => OneOf(
                new OpenApiSchema { Type = JsonSchemaType.String },
                new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String }, MaxItems = 4 }));
            swagger.MapType<MessageContent>(() => OneOf(
                new OpenApiSchema { Type = JsonSchemaType.String },
                new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.Object }, Description = "Text parts {\"type\":\"text\",\"text\":\"...\"}." }));
            swagger.DocumentFilter<MetricsDocumentFilter>();
            swagger.OperationFilter<ServerSentEventsOperationFilter>();
            // After the SSE filter, which adds the text/event-stream content this one gives an example.
            swagger.OperationFilter<Swagger.TeachingOperationFilter>();
            swagger.SchemaFilter<Swagger.RequiredFieldsSchemaFilter>();
            swagger.AddSecurityDefinition(Swagger.TeachingOperationFilter.SchemeName, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "Only when Api:ApiKeys is configured: Authorization: Bearer <key>.",
            });
        });
        return services;
    }

    public static WebApplication MapApiSwagger(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(ui => ui.SwaggerEndpoint("/swagger/v1/swagger.json", "GqaService v1"));
        return app;
    }

    private static OpenApiSchema OneOf(params IOpenApiSchema[] schemas) => new() { OneOf = [.. schemas] };
}
