namespace GqaService.Inference.Tests.Support;

/// <summary>A theory that skips, saying why, when the shared reference models are absent.</summary>
public sealed class RequiresSharedModelsTheoryAttribute : TheoryAttribute
{
    public RequiresSharedModelsTheoryAttribute()
    {
        if (!SharedModels.Available)
        {
            Skip = SharedModels.SkipReason;
        }
    }
}
