namespace GqaService.Inference.Tests.Templating;

/// <summary>A theory that skips, saying why, when node or the npm reference packages are absent.</summary>
public sealed class RequiresHuggingFaceJinjaTheoryAttribute : TheoryAttribute
{
    public RequiresHuggingFaceJinjaTheoryAttribute()
    {
        if (!HuggingFaceJinjaReference.Available)
        {
            Skip = HuggingFaceJinjaReference.SkipReason;
        }
    }
}
