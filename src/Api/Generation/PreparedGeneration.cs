using GqaService.Inference.Engine;

namespace GqaService.Api.Generation;

/// <summary>A validated request ready for the engine, with the response options that stay in the API layer.</summary>
public sealed record PreparedGeneration(GenerationRequest Request, bool Stream, bool IncludeUsage, bool ReturnTokenIds);
