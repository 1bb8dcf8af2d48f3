using static TorchSharp.torch;

namespace GqaService.Inference.Model;

/// <summary>One step's rotary angles: complex rotations for interleaved pairs, or cos/sin for rotate-half.</summary>
public sealed record RotaryAngles(Tensor? Cos, Tensor? Sin, Tensor? Complex);
