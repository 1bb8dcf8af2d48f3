namespace GqaService.Inference.KvCache;

/// <summary>
/// The free blocks that still hold a reusable prefix, least recently released first: the order in which allocation
/// evicts them. An intrusive doubly linked list over block ids (two arrays), so adding, removing any block and taking the
/// oldest are O(1) and a decode step allocates nothing. Not thread-safe: the <see cref="BlockAllocator"/> owns it.
/// </summary>
internal sealed class CachedBlockQueue
{
    private const int None = -1;
    private readonly int[] _previous;
    private readonly int[] _next;
    private readonly bool[] _queued;
    private int _first = None;
    private int _last = None;

    public CachedBlockQueue(int totalBlocks)
    {
        _previous = new int[totalBlocks];
        _next = new int[totalBlocks];
        _queued = new bool[totalBlocks];
    }

    public int Count { get; private set; }

    public bool Contains(int block) => _queued[block];

    /// <summary>Queues <paramref name="block"/> as the most recently released, the last to be evicted.</summary>
    public void AddNewest(int block)
    {
        if (_queued[block])
        {
            throw new InvalidOperationException($"Block {block} is already cached.");
        }
        _queued[block] = true;
        _previous[block] = _last;
        _next[block] = None;
        if (_last == None)
        {
            _first = block;
        }
        else
        {
            _next[_last] = block;
        }
        _last = block;
        Count++;
    }

    public void Remove(int block)
    {
        if (!_queued[block])
        {
            throw new InvalidOperationException($"Block {block} is not cached.");
        }
        var previous = _previous[block];
        var next = _next[block];
        if (previous == None)
        {
            _first = next;
        }
        else
        {
            _next[previous] = next;
        }
        if (next == None)
        {
            _last = previous;
        }
        else
        {
            _previous[next] = previous;
        }
        _queued[block] = false;
        Count--;
    }

    /// <summary>Takes the least recently released block; false when none is cached.</summary>
    public bool TryTakeOldest(out int block)
    {
        block = _first;
        if (block == None)
        {
            return false;
        }
        Remove(block);
        return true;
    }

    /// <summary>The cached blocks, next to be evicted first.</summary>
    public List<int> OldestFirst()
    {
        var blocks = new List<int>(Count);
        for (var block = _first; block != None; block = _next[block])
        {
            blocks.Add(block);
        }
        return blocks;
    }
}
