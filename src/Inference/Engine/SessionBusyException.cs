namespace GqaService.Inference.Engine;

/// <summary>Another request of the same session is still running (maps to HTTP 409).</summary>
public sealed class SessionBusyException(string sessionId) : Exception($"Session '{sessionId}' already has a request in flight.")
{
    public string SessionId { get; } = sessionId;
}
