using GqaService.Inference.KvCache;

namespace GqaService.Inference.Tests.KvCache;

/// <summary>
/// Stands in for the engine's tensor pool: each slot holds the token id whose "K/V" was written there and a fingerprint
/// of the whole prefix up to it (real K/V depends on every earlier token), so tests can prove that copies, sharing,
/// caching and writes never corrupt what another sequence reads, nor hand it a block computed after another prefix.
/// </summary>
internal sealed class SimulatedKvPool
{
    private const int Empty = -1;
    private readonly int[] slots;
    private readonly int[] prefixFingerprints;
    private readonly int blockSize;

    public SimulatedKvPool(int totalBlocks, int blockSize)
    {
        this.blockSize = blockSize;
        slots = Enumerable.Repeat(Empty, totalBlocks * blockSize).ToArray();
        prefixFingerprints = new int[totalBlocks * blockSize];
    }

    public int this[int slot] => slots[slot];

    /// <summary>The engine's step: reserve, perform the copies, write the K/V, append. False when out of blocks.</summary>
    public bool TryExtend(KvSequence sequence, IReadOnlyList<int> tokens)
    {
        var copies = new List<BlockCopy>();
        if (!sequence.TryReserve(tokens.Count, copies))
        {
            return false;
        }
        foreach (var copy in copies)
        {
            Array.Copy(slots, copy.SourceBlock * blockSize, slots, copy.DestinationBlock * blockSize, copy.Slots);
            Array.Copy(prefixFingerprints, copy.SourceBlock * blockSize, prefixFingerprints, copy.DestinationBlock * blockSize, copy.Slots);
        }
        var fingerprint = sequence.Length == 0 ? 0 : prefixFingerprints[sequence.SlotOf(sequence.Length - 1)];
        for (var i = 0; i < tokens.Count; i++)
        {
            var slot = sequence.SlotOf(sequence.Length + i);
            fingerprint = HashCode.Combine(fingerprint, tokens[i]);
            slots[slot] = tokens[i];
            prefixFingerprints[slot] = fingerprint;
        }
        sequence.Append(tokens);
        return true;
    }

    /// <summary>Null when every stored position's slot holds the sequence's token, else a description of the first mismatch.</summary>
    public string? FindCorruption(KvSequence sequence)
    {
        var fingerprint = 0;
        for (var position = 0; position < sequence.Length; position++)
        {
            var slot = sequence.SlotOf(position);
            fingerprint = HashCode.Combine(fingerprint, sequence.Tokens[position]);
            if (slots[slot] != sequence.Tokens[position])
            {
                return $"position {position} (slot {slot}) holds {slots[slot]} but the sequence stored {sequence.Tokens[position]}";
            }
            if (prefixFingerprints[slot] != fingerprint)
            {
                return $"position {position} (slot {slot}) holds K/V computed after another prefix";
            }
        }
        return null;
    }
}
