using GqaService.Inference.Loading.Families;
using GqaService.Inference.Model;
using static TorchSharp.torch;

namespace GqaService.Inference.Loading;

/// <summary>Loads llama2.c legacy (version 0) checkpoints, such as Karpathy's tinyllamas <c>stories*.bin</c>.</summary>
internal static class Llama2cCheckpointLoader
{
    public static ModelWeights Load(string path, IProgress<WeightLoadProgress>? progress = null, Func<ModelConfig, ScalarType>? linearDtype = null)
    {
        using var stream = OpenRead(path);
        var header = ReadHeader(path, stream);
        ModelConfig config;
        try
        {
            config = header.ToConfig();
        }
        catch (ModelConfigException e)
        {
            throw new ModelLoadException(path, $"invalid llama2.c header field {e.Field}: {e.Message}", e);
        }
        var layout = CreateLayout(path, config);
        var expected = layout.ExpectedFileLength;
        if (stream.Length < expected)
        {
            throw new ModelLoadException(path, $"truncated: expected {expected} bytes, found {stream.Length}.");
        }
        if (stream.Length > expected)
        {
            throw new ModelLoadException(
                path, $"{stream.Length - expected} unexpected trailing bytes: the header describes {expected} bytes, found {stream.Length}.");
        }
        return ModelWeightsAssembler.Assemble(config, ModelFamilies.Llama, new Llama2cTensorReader(path, stream, layout), path, progress, linearDtype);
    }

    /// <summary>True when the file starts with a llama2.c header whose sizes add up to exactly the file's length.</summary>
    public static bool LooksLikeCheckpoint(string path)
    {
        try
        {
            using var stream = OpenRead(path);
            if (stream.Length < Llama2cHeader.SizeInBytes)
            {
                return false;
            }
            var config = ReadHeader(path, stream).ToConfig();
            return CreateLayout(path, config).ExpectedFileLength == stream.Length;
        }
        catch (Exception e) when (e is ModelConfigException or ModelLoadException or IOException)
        {
            return false;
        }
    }

    private static FileStream OpenRead(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);

    private static Llama2cHeader ReadHeader(string path, FileStream stream)
    {
        Span<byte> bytes = stackalloc byte[Llama2cHeader.SizeInBytes];
        if (stream.Length < bytes.Length)
        {
            throw new ModelLoadException(path, $"truncated: expected at least a {bytes.Length}-byte llama2.c header, found {stream.Length} bytes.");
        }
        stream.ReadExactly(bytes);
        // Versioned llama2.c exports (export.py --version 1/2) start with the magic 0x616b3432 instead of the legacy header.
        if (bytes.StartsWith("24ka"u8))
        {
            throw new ModelLoadException(path, "a versioned llama2.c export (magic 'ak42'); only the legacy version-0 format is supported.");
        }
        return Llama2cHeader.Parse(bytes);
    }

    private static Llama2cLayout CreateLayout(string path, ModelConfig config)
    {
        try
        {
            return new Llama2cLayout(config);
        }
        catch (OverflowException e)
        {
            throw new ModelLoadException(path, "the header describes a model too large to exist.", e);
        }
    }
}
