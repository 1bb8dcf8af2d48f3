namespace GqaService.Api.Tests.Support;

/// <summary>A fact that runs only when the shared stories260K model is present (xunit 2 has no dynamic skip, so decide here).</summary>
public sealed class RealModelFactAttribute : FactAttribute
{
    public RealModelFactAttribute()
    {
        if (!SharedModels.Available)
        {
            Skip = SharedModels.SkipReason;
        }
    }
}
