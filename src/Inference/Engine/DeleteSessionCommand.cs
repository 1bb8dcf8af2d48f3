namespace GqaService.Inference.Engine;

internal sealed record DeleteSessionCommand(string SessionId, TaskCompletionSource<bool> Done) : EngineCommand;
