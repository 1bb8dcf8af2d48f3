namespace GqaService.Inference.Model;

/// <summary>How rotary embeddings pair up the dimensions of a head.</summary>
public enum RopeLayout
{
    /// <summary>Adjacent pairs (2i, 2i+1), as in llama2.c and Meta's reference code.</summary>
    Interleaved,

    /// <summary>Halves (i, i + d/2), as in Hugging Face's Llama (whose q/k rows are permuted to match).</summary>
    RotateHalf,
}
