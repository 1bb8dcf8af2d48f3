namespace GqaService.Inference.KvCache.Capacity;

/// <summary>One attention layout (GQA as given, MHA, MQA) at one context: its costs, each with the arithmetic written out.</summary>
public sealed record KvCapacityLayout(
    string Name,
    int KvHeads,
    long BytesPerToken,
    string BytesPerTokenArithmetic,
    int BlocksPerSequence,
    string BlocksPerSequenceArithmetic,
    long BytesPerSequence,
    string BytesPerSequenceArithmetic,
    KvCapacityFit? Pool,
    KvCapacityFit? Budget);
