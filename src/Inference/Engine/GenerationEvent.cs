namespace GqaService.Inference.Engine;

/// <summary>What the engine tells a request's reader, in order: tokens, then exactly one <see cref="GenerationFinished"/> or <see cref="GenerationFailed"/>.</summary>
public abstract record GenerationEvent;
