namespace GqaService.Inference.Engine;

/// <summary>One step's logits copied out of libtorch: row i belongs to the i-th scheduled sequence.</summary>
public sealed class StepLogits(float[] values, int vocabSize)
{
    public int Rows => values.Length / vocabSize;

    public ReadOnlySpan<float> Row(int index) => values.AsSpan(index * vocabSize, vocabSize);
}
