using System.Net.Http.Json;
using System.Text.Json;
using GqaService.Api.Tests.Support;

namespace GqaService.Api.Tests;

/// <summary>
/// The real server with a startup hook that collects without pause (DOTNET_STARTUP_HOOKS): under it, a native call
/// that was handed a temporary TorchSharp Scalar failed whole engine steps (15 of 192 requests with Scalar.h asserts).
/// </summary>
public class GcPressureServerTests
{
    [Fact]
    public async Task ConcurrentGreedyRequests_UnderAStartupHookThatCollectsNonStop_AllSucceedAlike()
    {
        using var directory = new TemporaryDirectory();
        var checkpoint = directory.File("pressure.bin");
        File.WriteAllBytes(checkpoint, new Llama2cCheckpointWriter
        {
            Dim = 64, HiddenDim = 96, NumLayers = 5, NumHeads = 8, NumKvHeads = 4, VocabSize = 512, SeqLen = 256,
        }.Fill(seed: 93).ToBytes());
        var hook = Path.Combine(AppContext.BaseDirectory, "GqaService.GcPressureHook.dll");
        await using var server = await ServerProcess.StartAsync(
            ["--model", checkpoint],
            new Dictionary<string, string> { ["DOTNET_STARTUP_HOOKS"] = hook, ["Api__RateLimit__PermitsPerMinute"] = "0" });
        Assert.Contains("gc-pressure hook: collecting without pause", server.Output);

        using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        var random = new Random(94);
        var prompts = Enumerable.Range(0, 8).Select(_ => Enumerable.Range(0, random.Next(2, 30)).Select(_ => random.Next(3, 512)).ToArray()).ToArray();
        const int MaxTokens = 96;
        var responses = await Task.WhenAll(Enumerable.Range(0, 192).Select(async i =>
        {
            using var response = await client.PostAsJsonAsync("/v1/completions", new
            {
                prompt = prompts[i % prompts.Length], max_tokens = MaxTokens, temperature = 0, ignore_eos = true, return_token_ids = true,
            });
            var body = await response.Content.ReadAsStringAsync();
            return (Prompt: i % prompts.Length, Status: (int)response.StatusCode, Body: body);
        }));

        var failures = responses.Where(r => r.Status != 200).Select(r => $"{r.Status}: {r.Body}").ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} of 192 failed, first: {failures.FirstOrDefault()}\n{server.Output}");
        var idsByPrompt = responses.GroupBy(r => r.Prompt, r => TokenIds(r.Body)).ToList();
        foreach (var group in idsByPrompt)
        {
            var first = group.First();
            Assert.Equal(MaxTokens, first.Length);
            Assert.All(group, ids => Assert.Equal(first, ids));
        }
    }

    private static int[] TokenIds(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("choices")[0].GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
    }
}
