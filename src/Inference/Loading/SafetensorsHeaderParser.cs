using System.Text.Json;

namespace GqaService.Inference.Loading;

/// <summary>Parses and checks the JSON header of a safetensors file against the size of its data section.</summary>
internal static class SafetensorsHeaderParser
{
    public static Dictionary<string, SafetensorsTensorInfo> Parse(string path, ReadOnlySpan<byte> json, long dataLength)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(path, $"safetensors header is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelLoadException(path, "safetensors header is not a JSON object.");
            }
            var tensors = new Dictionary<string, SafetensorsTensorInfo>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    continue;
                }
                tensors[property.Name] = ParseEntry(path, property.Name, property.Value, dataLength);
            }
            return tensors;
        }
    }

    private static SafetensorsTensorInfo ParseEntry(string path, string name, JsonElement entry, long dataLength)
    {
        ModelLoadException Bad(string what) => new(path, $"tensor '{name}': {what}");
        try
        {
            var dtype = entry.GetProperty("dtype").GetString() ?? throw Bad("dtype is null.");
            var shape = entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (offsets.Length != 2)
            {
                throw Bad("data_offsets must hold [begin, end].");
            }
            if (shape.Any(d => d < 0))
            {
                throw Bad($"negative dimension in shape [{string.Join(", ", shape)}].");
            }
            var info = new SafetensorsTensorInfo(name, dtype, shape, offsets[0], offsets[1]);
            if (info.Begin < 0 || info.End < info.Begin || info.End > dataLength)
            {
                throw Bad($"data_offsets [{info.Begin}, {info.End}] lie outside the {dataLength}-byte data section (file truncated?).");
            }
            var elementSize = SafetensorsTensorInfo.ElementSize(dtype);
            if (elementSize != 0 && info.End - info.Begin != checked(info.ElementCount * elementSize))
            {
                throw Bad($"{info.End - info.Begin} bytes do not hold a {dtype} tensor of shape [{string.Join(", ", shape)}].");
            }
            return info;
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new ModelLoadException(path, $"tensor '{name}': malformed header entry ({e.Message}).", e);
        }
    }
}
