namespace GqaService.Inference.Tests.Support;

/// <summary>A fact that skips, saying why, when the shared reference models are absent.</summary>
public sealed class RequiresSharedModelsFactAttribute : FactAttribute
{
    public RequiresSharedModelsFactAttribute()
    {
        if (!SharedModels.Available)
        {
            Skip = SharedModels.SkipReason;
        }
    }
}
