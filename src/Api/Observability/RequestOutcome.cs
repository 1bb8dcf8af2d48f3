namespace GqaService.Api.Observability;

/// <summary>Values of the <c>outcome</c> tag on gqa.api.requests.</summary>
public static class RequestOutcome
{
    public const string Ok = "ok";
    public const string Invalid = "invalid";
    public const string Overloaded = "overloaded";
    public const string SessionBusy = "session_busy";
    public const string Timeout = "timeout";
    public const string ClientCancelled = "client_cancelled";
    public const string EngineFailed = "engine_failed";
}
