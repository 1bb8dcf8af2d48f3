using GqaService.Inference.Model;

namespace GqaService.Inference.Engine;

/// <summary>The served model, as /v1/models and responses name it.</summary>
public sealed record ModelDescription(string Id, ModelConfig Config, bool IsDemo, bool HasTokenizer, long ParameterCount, string Source);
