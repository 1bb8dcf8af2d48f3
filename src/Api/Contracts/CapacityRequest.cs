namespace GqaService.Api.Contracts;

/// <summary>Any attention shape, to price its KV cache under GQA, MHA and MQA.</summary>
public sealed record CapacityRequest
{
    /// <example>32</example>
    public int Layers { get; init; }
    /// <summary>Query heads.</summary>
    /// <example>32</example>
    public int Heads { get; init; }
    /// <summary>K/V heads; must divide <c>heads</c> (1 is MQA, <c>heads</c> is MHA).</summary>
    /// <example>8</example>
    public int KvHeads { get; init; }
    /// <example>128</example>
    public int HeadDim { get; init; }
    /// <summary>float32, float16, bfloat16 or int8.</summary>
    /// <example>float16</example>
    public string Dtype { get; init; } = "float32";
    /// <summary>Tokens per sequence to price.</summary>
    /// <example>8192</example>
    public int Context { get; init; } = 4096;
    /// <summary>Token slots per block; defaults to the running pool's.</summary>
    /// <example>16</example>
    public int? BlockSize { get; init; }
    /// <summary>A memory budget to fill, in bytes (optional).</summary>
    /// <example>17179869184</example>
    public long? BudgetBytes { get; init; }
}
