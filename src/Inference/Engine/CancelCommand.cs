namespace GqaService.Inference.Engine;

internal sealed record CancelCommand(string RequestId) : EngineCommand;
