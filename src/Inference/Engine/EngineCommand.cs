namespace GqaService.Inference.Engine;

/// <summary>What HTTP threads ask of the engine thread; the only way in.</summary>
internal abstract record EngineCommand
{
    public sealed record Submit(ActiveRequest Request) : EngineCommand;

    public sealed record Cancel(string RequestId) : EngineCommand;

    public sealed record DeleteSession(string SessionId, TaskCompletionSource<bool> Done) : EngineCommand;
}
