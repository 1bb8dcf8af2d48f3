namespace GqaService.Inference.Engine;

internal sealed record SubmitCommand(ActiveRequest Request) : EngineCommand;
