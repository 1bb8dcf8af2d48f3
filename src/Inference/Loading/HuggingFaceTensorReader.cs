using System.Text.Json;
using static TorchSharp.torch;

namespace GqaService.Inference.Loading;

/// <summary>
/// Tensors of a Hugging Face directory: <c>model.safetensors</c>, or the shards listed by
/// <c>model.safetensors.index.json</c> (its <c>weight_map</c> names each tensor's file).
/// </summary>
internal sealed class HuggingFaceTensorReader : ITensorReader, ITensorCatalog, IDisposable
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    private readonly string _directory;
    private readonly string _catalogPath;
    private readonly Dictionary<string, SafetensorsFile> _openFiles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _fileOfTensor;
    private readonly SortedSet<string> _dtypesRead = new(StringComparer.Ordinal);

    private HuggingFaceTensorReader(string directory, string catalogPath, Dictionary<string, string> fileOfTensor)
    {
        _directory = directory;
        _catalogPath = catalogPath;
        _fileOfTensor = fileOfTensor;
    }

    public static HuggingFaceTensorReader Open(string directory)
    {
        var single = Path.Combine(directory, SingleFile);
        if (File.Exists(single))
        {
            var reader = new HuggingFaceTensorReader(directory, single, new Dictionary<string, string>(StringComparer.Ordinal));
            var file = reader.FileNamed(SingleFile);
            foreach (var name in file.Tensors.Keys)
            {
                reader._fileOfTensor[name] = SingleFile;
            }
            return reader;
        }
        var index = Path.Combine(directory, IndexFile);
        if (File.Exists(index))
        {
            return new HuggingFaceTensorReader(directory, index, ReadWeightMap(index));
        }
        throw new ModelLoadException(directory, $"neither {SingleFile} nor {IndexFile} found.");
    }

    /// <summary>The stored dtypes of the tensors read so far, in name order (what the weights' precision was).</summary>
    public IReadOnlyCollection<string> DTypesRead => _dtypesRead;

    public IEnumerable<string> TensorNames => _fileOfTensor.Keys;

    public string FileOf(string name) => _fileOfTensor.TryGetValue(name, out var file) ? Path.Combine(_directory, file) : _catalogPath;

    public Tensor Read(string name, long[] shape)
    {
        if (!_fileOfTensor.TryGetValue(name, out var fileName))
        {
            throw new ModelLoadException(_catalogPath, $"missing tensor '{name}'.");
        }
        var file = FileNamed(fileName);
        if (!file.Tensors.TryGetValue(name, out var info))
        {
            throw new ModelLoadException(file.Path, $"missing tensor '{name}' (the index places it in this file).");
        }
        if (!info.Shape.SequenceEqual(shape))
        {
            throw new ModelLoadException(
                file.Path, $"tensor '{name}' has shape [{string.Join(", ", info.Shape)}], expected [{string.Join(", ", shape)}].");
        }
        _dtypesRead.Add(info.DType);
        if (info.DType is not ("F32" or "F16" or "BF16"))
        {
            throw new ModelLoadException(file.Path, $"tensor '{info.Name}' has dtype {info.DType}; only F32, F16 and BF16 are supported.");
        }
        return NativeTensors.Float32(shape, file.Path, name, (offset, target) => file.ReadFloat32(info, offset, target));
    }

    public void Dispose()
    {
        foreach (var file in _openFiles.Values)
        {
            file.Dispose();
        }
    }

    private SafetensorsFile FileNamed(string fileName)
    {
        if (!_openFiles.TryGetValue(fileName, out var file))
        {
            var path = Path.Combine(_directory, fileName);
            if (!File.Exists(path))
            {
                throw new ModelLoadException(path, "shard listed in the index does not exist.");
            }
            file = SafetensorsFile.Open(path);
            _openFiles[fileName] = file;
        }
        return file;
    }

    private static Dictionary<string, string> ReadWeightMap(string indexPath)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in document.RootElement.GetProperty("weight_map").EnumerateObject())
            {
                var file = entry.Value.GetString() ?? "";
                // The index names files beside itself; anything else would read outside the model directory.
                if (file.Length == 0 || Path.GetFileName(file) != file)
                {
                    throw new ModelLoadException(indexPath, $"weight_map entry '{entry.Name}' names an invalid file '{file}'.");
                }
                map[entry.Name] = file;
            }
            return map;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ModelLoadException(indexPath, $"not a valid safetensors index ({e.Message}).", e);
        }
    }
}
