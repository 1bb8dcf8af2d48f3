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
        return FirstElement(tensor);
    }

    /// <summary><see cref="Address"/> as a number, for code that compares addresses rather than reading through them.</summary>
    public static nint AddressOf(Tensor tensor) => (nint)Address(tensor);

    /// <summary>
    /// The address of element 0 of a tensor whose rows (dimension 0) may be strided but whose every row is dense (each
    /// dimension after the first is contiguous within the row): a narrow of a wider projection's columns, for example.
    /// </summary>
    public static void* AddressOfRows(Tensor tensor)
    {
        var expected = 1L;
        for (var dimension = (int)tensor.dim() - 1; dimension >= 1; dimension--)
        {
            if (tensor.shape[dimension] != 1 && tensor.stride(dimension) != expected)
            {
                throw new ArgumentException("native kernels read tensors whose rows are dense only.", nameof(tensor));
            }
            expected *= tensor.shape[dimension];
        }
        return FirstElement(tensor);
    }

    private static void* FirstElement(Tensor tensor)
    {
        var address = DataPointer(tensor.Handle);
        if (address == null && tensor.numel() > 0)
        {
            throw new InvalidOperationException("libtorch returned no data pointer for a non-empty tensor.");
        }
        return address;
    }
}
