using GqaService.Inference.Engine;
using GqaService.Inference.Engine.Events;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GqaService.Inference;

public static class InferenceServiceCollectionExtensions
{
    /// <summary>Registers the engine (a singleton <see cref="IInferenceEngine"/>) and its options from the "Inference" section, validated at start.</summary>
    public static IServiceCollection AddInference(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EngineOptions>()
            .Bind(configuration.GetSection(EngineOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new EngineEvents(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<InferenceEngine>();
        services.AddSingleton<IInferenceEngine>(sp => sp.GetRequiredService<InferenceEngine>());
        services.AddHostedService<EngineHostedService>();
        return services;
    }
}
