namespace GqaService.Inference.Tokenization;

/// <summary>
/// GPT-2's byte-to-character table that byte-level BPE vocabularies are written in: printable Latin-1 bytes stand for
/// themselves, the other 68 bytes for U+0100 onwards in byte order (so a space is 'Ġ', U+0120).
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] CharOfByte = BuildTable();
    private static readonly Dictionary<char, byte> ByteOfChar = Enumerable.Range(0, 256).ToDictionary(b => CharOfByte[b], b => (byte)b);

    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[i] = CharOfByte[bytes[i]];
        }
        return new string(chars);
    }

    /// <summary>The bytes a vocabulary entry stands for, or null when it holds a character outside the alphabet.</summary>
    public static byte[]? Decode(string token)
    {
        var bytes = new byte[token.Length];
        for (var i = 0; i < token.Length; i++)
        {
            if (!ByteOfChar.TryGetValue(token[i], out bytes[i]))
            {
                return null;
            }
        }
        return bytes;
    }

    private static char[] BuildTable()
    {
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }
}
