namespace GqaService.Inference.Engine;

internal sealed record DeleteSessionCommand(KvCache.SessionKey Session, TaskCompletionSource<bool> Done) : EngineCommand;
