namespace GqaService.Inference.Tests.Templating;

/// <summary>A fact that skips, saying why, when node or the npm reference packages are absent.</summary>
public sealed class RequiresHuggingFaceJinjaFactAttribute : FactAttribute
{
    public RequiresHuggingFaceJinjaFactAttribute()
    {
        if (!HuggingFaceJinjaReference.Available)
        {
            Skip = HuggingFaceJinjaReference.SkipReason;
        }
    }
}
