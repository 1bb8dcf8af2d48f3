namespace GqaService.Benchmarks;

/// <summary>
/// Writes an MHA-equivalent llama2.c checkpoint from a GQA one: every query head gets its own K/V head, a copy of the one
/// it shared (query head j reads K/V head j / group). The result computes exactly what the original computes, with
/// n_heads / n_kv_heads times the KV memory. It is not a model trained as MHA: no such checkpoint is at hand here, so
/// this stands in for the memory side of the MHA column, and regrouping it back must reproduce the original exactly.
/// </summary>
internal static class MhaExpansion
{
    private const int HeaderInts = 7;

    public static void Write(string gqaCheckpoint, string mhaCheckpoint)
    {
        var bytes = File.ReadAllBytes(gqaCheckpoint);
        var header = new int[HeaderInts];
        Buffer.BlockCopy(bytes, 0, header, 0, HeaderInts * sizeof(int));
        var floats = new float[(bytes.Length - HeaderInts * sizeof(int)) / sizeof(float)];
        Buffer.BlockCopy(bytes, HeaderInts * sizeof(int), floats, 0, floats.Length * sizeof(float));
        int d = header[0], f = header[1], layers = header[2], heads = header[3], kvHeads = header[4], vocab = Math.Abs(header[5]);
        int headDim = d / heads, kvDim = kvHeads * headDim, group = heads / kvHeads;
        var output = new List<float>(floats.Length * 2);
        var offset = 0;
        void Copy(long count)
        {
            output.AddRange(new ArraySegment<float>(floats, offset, (int)count));
            offset += (int)count;
        }
        void Expand()
        {
            for (var layer = 0; layer < layers; layer++)
            {
                for (var head = 0; head < heads; head++)
                {
                    var source = offset + (head / group) * headDim * d;
                    output.AddRange(new ArraySegment<float>(floats, source, headDim * d));
                }
                offset += kvDim * d;
            }
        }

        Copy((long)vocab * d);          // token embedding
        Copy((long)layers * d);         // attention norms
        Copy((long)layers * d * d);     // wq
        Expand();                       // wk
        Expand();                       // wv
        Copy((long)layers * d * d);     // wo
        Copy((long)layers * d);         // feed-forward norms
        Copy((long)layers * f * d);     // w1
        Copy((long)layers * d * f);     // w2
        Copy((long)layers * f * d);     // w3
        Copy(floats.Length - offset);   // final norm, RoPE tables, classifier if any
        header[4] = heads;
        using var stream = File.Create(mhaCheckpoint);
        var headerBytes = new byte[HeaderInts * sizeof(int)];
        Buffer.BlockCopy(header, 0, headerBytes, 0, headerBytes.Length);
        stream.Write(headerBytes);
        var body = output.ToArray();
        var bodyBytes = new byte[body.Length * sizeof(float)];
        Buffer.BlockCopy(body, 0, bodyBytes, 0, bodyBytes.Length);
        stream.Write(bodyBytes);
    }
}
