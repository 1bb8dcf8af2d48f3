using GqaService.Inference.Engine;

namespace GqaService.Api.Generation;

/// <summary>An engine event of one choice (0..n-1) of a request.</summary>
public readonly record struct ChoiceEvent(int Choice, GenerationEvent Event);
