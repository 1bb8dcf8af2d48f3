namespace GqaService.Inference.Loading;

/// <summary>How far reading a model's weights has got: tensors read of those the family needs, and their bytes.</summary>
public readonly record struct WeightLoadProgress(int TensorsRead, int TensorsTotal, long BytesRead)
{
    public double Fraction => TensorsTotal == 0 ? 1 : (double)TensorsRead / TensorsTotal;
}
