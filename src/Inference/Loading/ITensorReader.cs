using static TorchSharp.torch;

namespace GqaService.Inference.Loading;

/// <summary>
/// Hands out float32 weight tensors by their Hugging Face Llama name (for example <c>model.layers.0.self_attn.q_proj.weight</c>),
/// whatever the file format underneath, so one assembler builds <see cref="Model.ModelWeights"/> for every format.
/// </summary>
internal interface ITensorReader
{
    /// <summary>Returns a new tensor the caller owns; throws <see cref="ModelLoadException"/> when absent or of another shape.</summary>
    Tensor Read(string name, long[] shape);
}
