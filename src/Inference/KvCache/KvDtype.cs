namespace GqaService.Inference.KvCache;

/// <summary>The element type K and V are stored in (<c>Inference:KvDtype</c>); attention still computes in float32.</summary>
public enum KvDtype
{
    F32,
    Bf16,
    F16,
}
