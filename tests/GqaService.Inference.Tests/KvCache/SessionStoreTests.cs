using GqaService.Inference.Engine;
using GqaService.Inference.KvCache;
using GqaService.Inference.Tests.Support;

namespace GqaService.Inference.Tests.KvCache;

public sealed class SessionStoreTests
{
    private const int BlockSize = 16;
    private readonly KvCacheFixture cache = new(totalBlocks: 32, BlockSize);
    private readonly ManualTimeProvider clock = new();
    private readonly SessionStore store;

    public SessionStoreTests()
    {
        store = new SessionStore(cache.Allocator, cache.Index, BlockSize, clock);
    }

    [Fact]
    public void GetOrCreate_returns_the_same_session_and_marks_update_last_used()
    {
        var created = store.GetOrCreate(new("", "a"));
        var start = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromSeconds(5));

        Assert.Same(created, store.GetOrCreate(new("", "a")));
        Assert.Equal(start, created.LastUsed);
        store.MarkActive(created);
        Assert.True(created.Active);
        Assert.Equal(start.AddSeconds(5), created.LastUsed);
        clock.Advance(TimeSpan.FromSeconds(1));
        store.MarkIdle(created);
        Assert.False(created.Active);
        Assert.Equal(start.AddSeconds(6), created.LastUsed);
        Assert.True(store.TryGet(new("", "a"), out var found));
        Assert.Same(created, found);
        Assert.False(store.TryGet(new("", "b"), out _));
    }

    [Fact]
    public void Lru_eviction_takes_the_oldest_idle_session_and_never_an_active_one()
    {
        var oldestButActive = Idle("active", tokens: 20);
        var oldIdle = Idle("old", tokens: 20);
        var middleIdle = Idle("middle", tokens: 20);
        var newIdle = Idle("new", tokens: 20);
        store.MarkActive(oldestButActive);
        clock.Advance(TimeSpan.FromHours(-1));
        store.Touch(oldestButActive);
        clock.Advance(TimeSpan.FromHours(1));

        Assert.True(store.TryEvictLeastRecentlyUsed(out var first, out var freed));
        Assert.Equal(new SessionKey("", "old"), first);
        Assert.Equal(2, freed);
        Assert.Empty(oldIdle.Sequence.Blocks);
        Assert.True(store.TryEvictLeastRecentlyUsed(out var second));
        Assert.Equal(new SessionKey("", "middle"), second);
        Assert.True(store.TryEvictLeastRecentlyUsed(out var third));
        Assert.Equal(new SessionKey("", "new"), third);
        Assert.False(store.TryEvictLeastRecentlyUsed(out var none));
        Assert.Null(none);

        Assert.Equal(["active"], store.Sessions.Select(s => s.Id));
        Assert.Equal(20, oldestButActive.Sequence.Length);
        Assert.Equal(2, cache.Allocator.UsedBlocks);
        Assert.Equal(0, middleIdle.Sequence.Length + newIdle.Sequence.Length);
    }

    [Fact]
    public void EvictIdleOlderThan_respects_the_threshold()
    {
        Idle("old", tokens: 5);
        clock.Advance(TimeSpan.FromMinutes(10));
        Idle("middle", tokens: 5);
        clock.Advance(TimeSpan.FromMinutes(5));
        Idle("new", tokens: 5);
        var busy = Idle("busy", tokens: 5);
        clock.Advance(TimeSpan.FromDays(-1));
        store.MarkActive(busy);
        clock.Advance(TimeSpan.FromDays(1));
        clock.Advance(TimeSpan.FromMinutes(1));

        // Idle ages now: old 16m03s, middle 6m02s, new 1m01s; busy is a day old but active.
        Assert.Equal(0, store.EvictIdleOlderThan(TimeSpan.FromMinutes(17)));
        Assert.Equal(1, store.EvictIdleOlderThan(TimeSpan.FromMinutes(10), out var freed));
        Assert.Equal(1, freed);
        Assert.Equal(["busy", "middle", "new"], store.Sessions.Select(s => s.Id).Order());
        Assert.Equal(1, store.EvictIdleOlderThan(TimeSpan.FromMinutes(2)));
        Assert.Equal(["busy", "new"], store.Sessions.Select(s => s.Id).Order());
    }

    [Fact]
    public void Removing_an_active_session_throws_and_keeps_it()
    {
        var session = Idle("a", tokens: 20);
        store.MarkActive(session);

        var busy = Assert.Throws<SessionBusyException>(() => store.Remove(new("", "a")));

        Assert.Equal("a", busy.SessionId);
        Assert.Equal(20, session.Sequence.Length);
        store.MarkIdle(session);
        Assert.True(store.Remove(new("", "a")));
        Assert.False(store.Remove(new("", "a")));
        Assert.Equal(32, cache.Allocator.FreeBlocks);
        Assert.Throws<InvalidOperationException>(() => store.MarkActive(session));
    }

    [Fact]
    public void Evicting_a_session_shared_with_a_live_sequence_frees_only_its_unshared_blocks()
    {
        var prompt = KvCacheFixture.Range(0, 40);
        var session = store.GetOrCreate(new("", "s"));
        Assert.True(cache.Pool.TryExtend(session.Sequence, prompt));
        var running = cache.Prefilled([.. prompt[..32], 77, 78], out var reused);
        Assert.Equal(32, reused);
        var runningBlocks = running.Blocks.ToArray();

        Assert.Equal(1, store.FreeableBlocks(session));
        Assert.True(store.TryEvictLeastRecentlyUsed(out _, out var freed));

        Assert.Equal(1, freed);
        Assert.Equal(runningBlocks, running.Blocks);
        Assert.All(running.Blocks, block => Assert.Equal(1, cache.Allocator.RefCount(block)));
        Assert.Equal(3, cache.Allocator.UsedBlocks);
        var later = cache.NewSequence();
        Assert.Equal(32, later.AttachSharedPrefix(prompt));
        cache.Check(running, later);
    }

    [Fact]
    public void List_reports_tokens_blocks_and_bytes()
    {
        var a = Idle("a", tokens: 20);
        Idle("b", tokens: 0);
        store.MarkActive(a);

        var list = store.List(bytesPerBlock: 1000);

        Assert.Equal(
            [
                new SessionInfo("a", 20, 2, 2000, a.LastUsed, true),
                new SessionInfo("b", 0, 0, 0, clock.GetUtcNow(), false),
            ],
            list);
    }

    [Fact]
    public void Two_tenants_using_one_id_get_two_sessions_and_neither_reaches_the_others()
    {
        var mine = store.GetOrCreate(new("tenant-a", "chat"));
        Assert.True(cache.Pool.TryExtend(mine.Sequence, KvCacheFixture.Range(100, 20)));
        store.MarkIdle(mine);

        var theirs = store.GetOrCreate(new("tenant-b", "chat"));

        Assert.NotSame(mine, theirs);
        Assert.Equal(0, theirs.Sequence.Length);
        Assert.False(store.TryGet(new("", "chat"), out _));
        Assert.True(store.Remove(new("tenant-b", "chat")));
        Assert.False(store.Remove(new("tenant-b", "chat")));
        Assert.True(store.TryGet(new("tenant-a", "chat"), out var kept));
        Assert.Same(mine, kept);
        Assert.Equal(20, kept.Sequence.Length);
        Assert.Equal([("tenant-a", "chat")], store.List(bytesPerBlock: 1).Select(s => (s.Tenant, s.SessionId)));
    }

    [Fact]
    public void A_busy_session_of_one_tenant_leaves_the_same_id_free_for_another()
    {
        var leases = new SessionLeases();
        var tenantStore = new SessionStore(cache.Allocator, cache.Index, BlockSize, clock, leases);
        var busy = tenantStore.GetOrCreate(new("tenant-a", "chat"));
        tenantStore.MarkActive(busy);

        Assert.True(leases.TryAcquire(new("tenant-b", "chat")));
        Assert.False(leases.TryAcquire(new("tenant-a", "chat")));
        Assert.Throws<SessionBusyException>(() => tenantStore.Remove(new("tenant-a", "chat")));
    }

    private Session Idle(string id, int tokens)
    {
        clock.Advance(TimeSpan.FromSeconds(1));
        var session = store.GetOrCreate(new("", id));
        Assert.True(cache.Pool.TryExtend(session.Sequence, KvCacheFixture.Range(id[0] * 100, tokens)));
        store.MarkIdle(session);
        return session;
    }
}
