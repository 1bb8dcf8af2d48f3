using System.CommandLine;
using System.Text.Json;
using GqaService.Inference.Engine;
using GqaService.Inference.Sampling;

namespace GqaService.Api.Cli;

/// <summary>
/// The one-shot <c>generate</c> verb: load a model, run one request through the same engine the server uses, print one
/// JSON object. <c>--prompt-ids</c> are used exactly as given; <c>--prompt</c> text gets BOS from the tokenizer.
/// </summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var options = new GenerateOptions();
        var command = new Command("generate", "Load a model, generate once from a prompt, print one JSON object (model, prompt_ids, token_ids, text, finish_reason).");
        options.AddTo(command);
        command.SetAction(parse => RunAsync(options.Read(parse, Environment.CurrentDirectory)));
        return command;
    }

    public static Task<int> RunAsync(GenerateArguments parsed)
    {
        var options = new EngineOptions { ModelPath = parsed.ModelPath, TokenizerPath = parsed.TokenizerPath, KvHeads = parsed.KvHeads, MaxSequencesPerStep = 1, MaxBatchedTokens = 1024, PrefillChunkSize = 1024, RequestTimeoutSeconds = 0 };
        return OfflineEngineRun.RunAsync(options, async engine =>
        {
            var prompt = parsed.PromptIds ?? (engine.Tokenizer ?? throw new ArgumentException("--prompt needs a tokenizer; this model has none (use --prompt-ids)."))
                .Encode(parsed.PromptText!, addBos: true);
            var request = new GenerationRequest
            {
                RequestId = "generate",
                PromptTokenIds = prompt,
                MaxTokens = parsed.MaxTokens,
                IgnoreEos = parsed.IgnoreEos,
                Sampling = new SamplingParameters { Temperature = parsed.Temperature, TopP = parsed.TopP, TopK = parsed.TopK, Seed = parsed.Seed },
            };
            using var handle = engine.Submit(request);
            var result = await GenerationResult.CollectAsync(handle);
            if (result.Finished is { } finished)
            {
                Print(engine, prompt, result, finished);
                return 0;
            }
            await Console.Error.WriteLineAsync($"generation failed: {result.Failed!.Code}: {result.Failed.Message}");
            return 1;
        });
    }

    private static void Print(InferenceEngine engine, IReadOnlyList<int> prompt, GenerationResult result, GenerationFinished finished)
    {
        var output = new Dictionary<string, object?>
        {
            ["model"] = engine.Model.Id,
            ["prompt_ids"] = prompt,
            ["token_ids"] = result.TokenIds,
            ["text"] = engine.Tokenizer is null ? null : result.Text,
            ["finish_reason"] = finished.Reason.ToString().ToLowerInvariant(),
            ["completion_tokens"] = finished.Usage.CompletionTokens,
            ["seconds"] = Math.Round(finished.Usage.Duration.TotalSeconds, 4),
        };
        Console.WriteLine(JsonSerializer.Serialize(output, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }
}
