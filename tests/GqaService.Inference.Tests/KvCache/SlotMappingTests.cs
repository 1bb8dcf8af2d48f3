using GqaService.Inference.KvCache;

namespace GqaService.Inference.Tests.KvCache;

public class SlotMappingTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(16)]
    public void SlotsUpTo_EqualsSlotOfEveryPosition_AcrossScatteredAndSharedBlocks(int blockSize)
    {
        var allocator = new BlockAllocator(256);
        var index = new PrefixBlockIndex();
        var random = new Random(blockSize);
        var sequences = Enumerable.Range(0, 3).Select(_ => new KvSequence(allocator, index, blockSize)).ToList();
        // Interleaved growth scatters each table's blocks through the pool.
        for (var step = 0; step < 12; step++)
        {
            foreach (var sequence in sequences)
            {
                var tokens = Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(100)).ToArray();
                Assert.True(sequence.TryReserve(tokens.Length, []));
                sequence.Append(tokens);
            }
        }
        sequences.Add(sequences[0].Fork());

        foreach (var sequence in sequences)
        {
            for (var length = 0; length <= sequence.ReservedSlots; length++)
            {
                Assert.Equal(Enumerable.Range(0, length).Select(sequence.SlotOf), sequence.SlotsUpTo(length));
            }
            Assert.Throws<ArgumentOutOfRangeException>(() => sequence.SlotsUpTo(sequence.ReservedSlots + 1));
        }
    }
}
