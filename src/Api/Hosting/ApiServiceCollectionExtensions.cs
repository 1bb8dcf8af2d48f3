using System.Text.Json;
using System.Text.Json.Serialization;
using GqaService.Api.Errors;
using GqaService.Api.Generation;
using GqaService.Api.Security;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GqaService.Api.Hosting;

public static class ApiServiceCollectionExtensions
{
    /// <summary>Options (validated at start), snake_case JSON, problem details for every error, rate limiting and the generation flow.</summary>
    public static IServiceCollection AddApi(this IServiceCollection services)
    {
        // Unknown keys fail the start: a setting that moved (Api:MaxTokensLimit is now Inference:MaxTokensLimit) must not be ignored.
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.SectionName, binder => binder.ErrorOnUnknownConfiguration = true).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiOptions>, ApiOptionsValidator>();
        services.ConfigureHttpJsonOptions(json => UseWireFormat(json.SerializerOptions));
        // Swashbuckle describes schemas with the MVC JSON options; keep them identical to what the endpoints write.
        services.Configure<Microsoft.AspNetCore.Mvc.JsonOptions>(json => UseWireFormat(json.JsonSerializerOptions));
        // Let JSON binding failures throw (in every environment) so ApiExceptionHandler can name the offending field.
        services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        services.AddProblemDetails(problems => problems.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Extensions.TryAdd(ApiErrors.TraceMember, context.HttpContext.TraceIdentifier);
            ApiErrors.Complete(context.ProblemDetails);
            Observability.ClientErrorLogMiddleware.Remember(context);
        });
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddApiRateLimiting();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IChatTemplate, ModelChatTemplate>();
        services.AddSingleton<GenerationRunner>();
        services.AddShutdownAfterDrain();
        return services;
    }

    /// <summary>Options writing what the endpoints write (for documents built outside a request: Swagger examples).</summary>
    internal static JsonSerializerOptions WireFormat()
    {
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        UseWireFormat(json);
        return json;
    }

    private static void UseWireFormat(JsonSerializerOptions json)
    {
        json.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        json.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        // The web defaults read "10" as 10; OpenAI refuses a number sent as a string, and so does this service (naming the field).
        json.NumberHandling = JsonNumberHandling.Strict;
    }
}
