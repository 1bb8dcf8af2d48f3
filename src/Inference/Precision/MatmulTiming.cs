namespace GqaService.Inference.Precision;

/// <summary>One measured row count of <see cref="Bf16MatmulProbe"/>: the best time of a gate/up-sized matmul in each dtype.</summary>
public sealed record MatmulTiming(int Rows, double F32Milliseconds, double Bf16Milliseconds)
{
    public double Speedup => Bf16Milliseconds > 0 ? F32Milliseconds / Bf16Milliseconds : 0;
}
