namespace GqaService.Api.Hosting;

/// <summary>The "Api" configuration section (appsettings.json, environment Api__X, command line --Api:X).</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    /// <summary>Largest accepted request body; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Bearer keys; empty turns authentication off.</summary>
    public string[] ApiKeys { get; set; } = [];

    public RateLimitOptions RateLimit { get; set; } = new();

    public OtlpOptions Otlp { get; set; } = new();
}
