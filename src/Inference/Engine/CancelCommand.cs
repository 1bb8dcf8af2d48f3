namespace GqaService.Inference.Engine;

/// <summary>Cancels this very request (not whatever else shares its id).</summary>
internal sealed record CancelCommand(ActiveRequest Request) : EngineCommand;
