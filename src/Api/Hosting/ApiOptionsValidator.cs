using Microsoft.Extensions.Options;

namespace GqaService.Api.Hosting;

/// <summary>Fails the host at start on a nonsensical "Api" section (wired with ValidateOnStart).</summary>
internal sealed class ApiOptionsValidator : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        var failures = new List<string>();
        if (options.MaxRequestBodyBytes < 1024)
        {
            failures.Add($"Api:MaxRequestBodyBytes must be at least 1024 (got {options.MaxRequestBodyBytes}).");
        }
        if (options.RateLimit.PermitsPerMinute < 0)
        {
            failures.Add($"Api:RateLimit:PermitsPerMinute must be 0 (off) or positive (got {options.RateLimit.PermitsPerMinute}).");
        }
        if (options.ApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("Api:ApiKeys must not contain empty keys.");
        }
        if (!string.IsNullOrEmpty(options.Otlp.Endpoint) && !Uri.TryCreate(options.Otlp.Endpoint, UriKind.Absolute, out _))
        {
            failures.Add($"Api:Otlp:Endpoint must be an absolute URI (got '{options.Otlp.Endpoint}').");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
