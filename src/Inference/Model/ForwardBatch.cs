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
    /// <summary>The batch rows whose logits the step returns, in this order; rows not listed skip the classifier.</summary>
    public required int[] LogitRows { get; init; }

    /// <summary>
    /// Builds the batch for sequences whose new tokens follow their cached context, given each one's slot map.
    /// Logits come back for each sequence's last token, or for every token with <paramref name="logitsForAllTokens"/>;
    /// <paramref name="needsLogits"/> (one flag per sequence) leaves out sequences that will not sample this step, such as
    /// an unfinished prefill chunk, so they skip the final norm and the classifier.
    /// </summary>
    public static ForwardBatch Create(
        IReadOnlyList<(IReadOnlyList<int> NewTokens, int[] ContextSlots)> sequences,
        bool logitsForAllTokens = false,
        IReadOnlyList<bool>? needsLogits = null)
    {
        if (needsLogits is not null && needsLogits.Count != sequences.Count)
        {
            throw new ArgumentException("needsLogits has one flag per sequence.", nameof(needsLogits));
        }
        var total = sequences.Sum(s => s.NewTokens.Count);
        var tokens = new int[total];
        var positions = new int[total];
        var writeSlots = new int[total];
        var spans = new List<SequenceSpan>(sequences.Count);
        var logitRows = new List<int>(logitsForAllTokens ? total : sequences.Count);
        var row = 0;
        for (var s = 0; s < sequences.Count; s++)
        {
            var (newTokens, contextSlots) = sequences[s];
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
            if (needsLogits?[s] ?? true)
            {
                logitRows.AddRange(logitsForAllTokens ? Enumerable.Range(row - newTokens.Count, newTokens.Count) : [row - 1]);
            }
        }
        return new ForwardBatch
        {
            TokenIds = tokens,
            Positions = positions,
            WriteSlots = writeSlots,
            Sequences = spans,
            LogitRows = [.. logitRows],
        };
    }
}
