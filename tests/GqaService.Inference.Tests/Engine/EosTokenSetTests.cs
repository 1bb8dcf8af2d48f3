using System.Text.Json;
using GqaService.Inference.Engine;
using GqaService.Inference.Sampling;
using GqaService.Inference.Tests.Support;
using Xunit.Abstractions;

namespace GqaService.Inference.Tests.Engine;

/// <summary>Generation stops on any of the model's EOS ids: config.json's and those generation_config.json adds.</summary>
public sealed class EosTokenSetTests(ITestOutputHelper output) : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task StopsOnEachEosIdOfTheSet(int which)
    {
        var checkpoint = FamilyCheckpoint.Create(FamilyCheckpoint.Configs.TinyLlama, seed: 77);
        checkpoint.WriteTo(_directory.Path);
        int[] prompt = [1, 17, 42, 99];
        List<int> free;
        await using (var engine = await EngineHarness.StartAsync(_directory.Path, output))
        {
            free = (await engine.RunAsync(Seeded(prompt))).TokenIds.ToList();
        }
        // Two ids the free run produces, each first seen after its start (and neither the config's EOS 2). Listed in either
        // order, the reply must end right before the earlier one: any id of the set stops, not just its first.
        var firsts = free.Select((id, at) => (id, at)).Where(p => p.at > 0 && p.id != 2 && free.IndexOf(p.id) == p.at).ToList();
        Assert.True(firsts.Count >= 2 && !free.Take(firsts[0].at).Contains(2), $"the free run [{string.Join(", ", free)}] cannot test this");
        var (earlier, later) = (firsts[0], firsts[^1]);
        var eosIds = which == 0 ? new[] { earlier.id, later.id } : [later.id, earlier.id];
        File.WriteAllText(_directory.File("generation_config.json"), JsonSerializer.Serialize(new { bos_token_id = 1, eos_token_id = eosIds }));

        await using var harness = await EngineHarness.StartAsync(_directory.Path, output);
        var stopped = await harness.RunAsync(Seeded(prompt) with { IgnoreEos = false });

        Assert.Equal([2, .. eosIds], harness.Engine.Model.EosTokenIds);
        Assert.Equal(free.Take(earlier.at), stopped.TokenIds);
        Assert.Equal(FinishReason.Stop, stopped.Finished!.Reason);
    }

    /// <summary>Seeded sampling: the same ids on every run, and varied enough (a random model's greedy output repeats one id).</summary>
    private static GenerationRequest Seeded(int[] prompt) =>
        EngineHarness.Greedy(prompt, maxTokens: 32) with { Sampling = new SamplingParameters { Temperature = 1f, Seed = 4242 } };
}
