namespace GqaService.Inference.Precision;

/// <summary>
/// What <c>Inference:WeightDtype</c> asks for: the element type linear weights are stored and multiplied in. <see cref="Auto"/>
/// takes bf16 only where the CPU has native bf16 arithmetic and a start-up measurement shows it faster than f32.
/// </summary>
public enum WeightDtype
{
    Auto,
    F32,
    Bf16,
    F16,
}
