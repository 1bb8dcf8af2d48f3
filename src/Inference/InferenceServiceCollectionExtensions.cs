using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GqaService.Inference;

public static class InferenceServiceCollectionExtensions
{
    /// <summary>Registers the engine (a singleton <see cref="Engine.IInferenceEngine"/>) and its options from the "Inference" section.</summary>
    public static IServiceCollection AddInference(this IServiceCollection services, IConfiguration configuration)
    {
        // Filled in by the engine work; the API layer calls it unconditionally.
        return services;
    }
}
