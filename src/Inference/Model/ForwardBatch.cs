namespace GqaService.Inference.Model;

/// <summary>
/// A flat batch of new tokens from several sequences, described by integers only. Prefill chunks and single-token
/// decode steps travel the same way; a sequence's tokens are contiguous in the batch.
/// </summary>
public sealed record ForwardBatch
{
    public required int[] TokenIds { get; init; }
    /// <summary>Per token: its position in its sequence.</summary>
    public required int[] Positions { get; init; }
    /// <summary>Per token: the KV slot its K and V are written to.</summary>
    public required int[] WriteSlots { get; init; }
    public required IReadOnlyList<SequenceSpan> Sequences { get; init; }
    /// <summary>False: logits only for each sequence's last token (what generation needs). True: for every token.</summary>
    public bool LogitsForAllTokens { get; init; }

    /// <summary>Builds the batch for sequences whose new tokens follow their cached context, given each one's slot map.</summary>
    public static ForwardBatch Create(IReadOnlyList<(IReadOnlyList<int> NewTokens, int[] ContextSlots)> sequences, bool logitsForAllTokens = false)
    {
        var total = sequences.Sum(s => s.NewTokens.Count);
        var tokens = new int[total];
        var positions = new int[total];
        var writeSlots = new int[total];
        var spans = new List<SequenceSpan>(sequences.Count);
        var row = 0;
        foreach (var (newTokens, contextSlots) in sequences)
        {
            var start = contextSlots.Length - newTokens.Count;
            if (newTokens.Count == 0 || start < 0)
            {
                throw new ArgumentException("Every sequence needs at least one new token and a slot for each of its positions.");
            }
            spans.Add(new SequenceSpan(row, newTokens.Count, contextSlots));
            for (var i = 0; i < newTokens.Count; i++, row++)
            {
                tokens[row] = newTokens[i];
                positions[row] = start + i;
                writeSlots[row] = contextSlots[start + i];
            }
        }
        return new ForwardBatch
        {
            TokenIds = tokens,
            Positions = positions,
            WriteSlots = writeSlots,
            Sequences = spans,
            LogitsForAllTokens = logitsForAllTokens,
        };
    }
}
