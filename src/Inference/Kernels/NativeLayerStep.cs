using System.Runtime.InteropServices;

namespace GqaService.Inference.Kernels;

/// <summary>gqa_layer_step (gqa_kernels.h): what every layer of one step shares. The int arrays are pinned by the caller.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeLayerStep
{
    public long Rows;
    public int* Positions;
    public int* WriteSlots;
    public int* Slots;
    public int* SlotOffsets;
    public int* Lengths;
    public float* RopeCos;
    public float* RopeSin;
}
