namespace GqaService.Api.Hosting;

/// <summary>The "Api" configuration section (appsettings.json, environment Api__X, command line --Api:X).</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    /// <summary>Largest accepted request body; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>max_tokens used when a request names none.</summary>
    public int DefaultMaxTokens { get; set; } = 256;

    /// <summary>Largest max_tokens a request may ask for.</summary>
    public int MaxTokensLimit { get; set; } = 4096;

    /// <summary>Bearer keys; empty turns authentication off.</summary>
    public string[] ApiKeys { get; set; } = [];

    public RateLimitOptions RateLimit { get; set; } = new();

    public OtlpOptions Otlp { get; set; } = new();
}
