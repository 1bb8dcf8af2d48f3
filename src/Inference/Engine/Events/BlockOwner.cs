namespace GqaService.Inference.Engine.Events;

/// <summary>
/// Who holds a block: a session (its blocks outlive requests) or a request without a session. Two owners are the same when
/// kind and id are; the request running for a session is carried beside it, not in it, so a session's turn changes no owner.
/// </summary>
public sealed record BlockOwner(string Kind, string Id)
{
    public const string SessionKind = "session";
    public const string RequestKind = "request";
}
