using GqaService.Inference.Native;
using static TorchSharp.torch;

namespace GqaService.Inference.Kernels;

/// <summary>Where a CPU tensor's elements start, for kernels that read and write them in place.</summary>
internal static unsafe class TensorMemory
{
    // LibTorchSharp's THSTensor_data: tensor->data_ptr(), the first element of the view (storage offset applied), for any
    // dtype. TorchSharp exposes it only through typed accessors, which have no 16-bit element types, and its Storage
    // converts (copies) on a dtype mismatch.
    private static readonly delegate* unmanaged<IntPtr, void*> DataPointer =
        (delegate* unmanaged<IntPtr, void*>)TorchNativeCompatibility.TorchSharpExport("THSTensor_data");

    /// <summary>The address of element 0. The tensor must be contiguous (checked) and stay alive while the address is used.</summary>
    public static void* Address(Tensor tensor)
    {
        if (!tensor.is_contiguous())
        {
            throw new ArgumentException("native kernels read contiguous tensors only.", nameof(tensor));
        }
        var address = DataPointer(tensor.Handle);
        if (address == null && tensor.numel() > 0)
        {
            throw new InvalidOperationException("libtorch returned no data pointer for a non-empty tensor.");
        }
        return address;
    }
}
