namespace GqaService.Inference.Engine;

/// <summary>What HTTP threads ask of the engine thread; the command channel is the only way in.</summary>
internal abstract record EngineCommand;
