using GqaService.Inference.Loading.Families;
using GqaService.Inference.Model;

namespace GqaService.Inference.Loading;

/// <summary>A model's configuration read from its files: the decoder shape, its family and what else the engine must know.</summary>
/// <param name="EosTokenIds">Every id that ends a reply, in the order the files name them (never empty).</param>
/// <param name="Notes">Decisions the loader took that an operator should see (a capped context, for example).</param>
internal sealed record FamilyConfig(ModelFamily Family, ModelConfig Config, IReadOnlyList<int> EosTokenIds, IReadOnlyList<string> Notes);
