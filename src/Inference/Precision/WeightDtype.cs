namespace GqaService.Inference.Precision;

/// <summary>
/// What <c>Inference:WeightDtype</c> asks for: the element type linear weights are stored and multiplied in. <see cref="Auto"/>
/// takes bf16 only where the CPU has native bf16 arithmetic and a start-up measurement shows it faster than f32; <see cref="Q8_0"/>
/// is only ever taken when asked for.
/// </summary>
public enum WeightDtype
{
    Auto,
    F32,
    Bf16,
    F16,
    /// <summary>
    /// llama.cpp's Q8_0: matrices whose rows are a multiple of 32 long held as int8 blocks with float16 scales and multiplied
    /// by the native Q8_0 kernel (activations quantised per block too); everything else float32. Needs the native kernels;
    /// without them the weights are dequantised to float32 at load.
    /// </summary>
    Q8_0,
}
