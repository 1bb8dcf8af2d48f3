namespace GqaService.Api.Hosting;

public sealed class RateLimitOptions
{
    /// <summary>Requests per minute per API key (or per remote IP without one); 0 turns rate limiting off.</summary>
    public int PermitsPerMinute { get; set; }
}
