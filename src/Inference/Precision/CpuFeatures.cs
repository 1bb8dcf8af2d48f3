namespace GqaService.Inference.Precision;

/// <summary>The CPU flags the precision choice depends on, read from <c>/proc/cpuinfo</c> (none elsewhere).</summary>
public sealed record CpuFeatures(string ModelName, IReadOnlySet<string> Flags)
{
    private const string CpuInfoPath = "/proc/cpuinfo";

    /// <summary>AVX512_BF16 (Zen 4/5, Cooper Lake) or AMX-BF16 (Sapphire Rapids and later): bf16 dot products in hardware.</summary>
    public bool HasNativeBf16 => Flags.Contains("avx512_bf16") || Flags.Contains("amx_bf16");

    public static CpuFeatures Host { get; } = Read(CpuInfoPath);

    public static CpuFeatures Read(string cpuInfoPath)
    {
        if (!File.Exists(cpuInfoPath))
        {
            return new CpuFeatures("unknown", new HashSet<string>());
        }
        return Parse(File.ReadLines(cpuInfoPath));
    }

    /// <summary>The first processor's <c>model name</c> and <c>flags</c> lines (every core of one host reports the same).</summary>
    public static CpuFeatures Parse(IEnumerable<string> cpuInfoLines)
    {
        string? model = null;
        HashSet<string>? flags = null;
        foreach (var line in cpuInfoLines)
        {
            var colon = line.IndexOf(':');
            if (colon < 0)
            {
                continue;
            }
            var key = line[..colon].Trim();
            if (model is null && key == "model name")
            {
                model = line[(colon + 1)..].Trim();
            }
            else if (flags is null && key == "flags")
            {
                flags = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
            }
            if (model is not null && flags is not null)
            {
                break;
            }
        }
        return new CpuFeatures(model ?? "unknown", flags ?? new HashSet<string>());
    }
}
