using GqaService.Inference.Engine;
using GqaService.Inference.Model;
using GqaService.Inference.Tokenization;

namespace GqaService.Inference.Loading;

/// <summary>A model ready to serve: its weights (owned, disposed with this), its tokenizer if any, and how to describe it.</summary>
/// <param name="Tokenizer">Null when no tokenizer was found: the model then accepts token-id prompts only.</param>
public sealed record LoadedModel(ModelWeights Weights, ITextTokenizer? Tokenizer, ModelDescription Description) : IDisposable
{
    public void Dispose() => Weights.Dispose();
}
