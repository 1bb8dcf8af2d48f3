using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>
/// A linear weight [N, K] in llama.cpp's Q8_0 format, as the native kernel reads it: blocks of 32 consecutive values of a
/// row, each block one float16 scale d and 32 int8 quants q (value = d·q). <see cref="Quants"/> is int8 [N, K] and
/// <see cref="Scales"/> float16 [N, K/32]: kept apart rather than as llama.cpp's interleaved 34-byte blocks so a row's
/// quants are contiguous (two blocks per 64-byte load) for the same bytes. A view: whoever holds the tensors
/// (<see cref="LayerWeights"/>, <see cref="ModelWeights"/>) owns them.
/// </summary>
public readonly record struct Q8_0Weight(Tensor Quants, Tensor Scales)
{
    /// <summary>Values per block (ggml's QK8_0).</summary>
    public const int BlockSize = 32;

    public long OutFeatures => Quants.size(0);

    public long InFeatures => Quants.size(1);
}
