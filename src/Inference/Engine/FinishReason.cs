namespace GqaService.Inference.Engine;

public enum FinishReason
{
    /// <summary>EOS, a stop token id or a stop sequence.</summary>
    Stop,
    /// <summary>max_tokens reached, or the context is full.</summary>
    Length,
    /// <summary>The caller cancelled (client gone) or the deadline passed.</summary>
    Cancelled,
}
