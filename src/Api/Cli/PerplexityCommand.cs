using System.CommandLine;
using System.Text.Json;
using GqaService.Api.Endpoints;
using GqaService.Inference.Engine;
using GqaService.Inference.Limits;
using GqaService.Inference.Perplexity;

namespace GqaService.Api.Cli;

/// <summary>
/// The one-shot <c>perplexity</c> verb: load a model (regrouped with <c>--kv-heads</c> if asked), score a text file or token
/// ids through the same engine, decoder and paged KV cache the server uses, print one JSON object shaped as
/// <c>POST /v1/perplexity</c> answers.
/// </summary>
public static class PerplexityCommand
{
    public static Command Create()
    {
        var options = new PerplexityOptions();
        var command = new Command("perplexity", "Load a model and print its perplexity on a text file or token ids as one JSON object " +
            "(tokens, mean_nll, perplexity, kv_bytes_per_token, window, stride), as POST /v1/perplexity answers.");
        options.AddTo(command);
        command.SetAction(parse => RunAsync(options.Read(parse, Environment.CurrentDirectory)));
        return command;
    }

    public static Task<int> RunAsync(PerplexityArguments parsed)
    {
        var options = new EngineOptions
        {
            ModelPath = parsed.ModelPath, TokenizerPath = parsed.TokenizerPath, KvHeads = parsed.KvHeads, MaxContext = parsed.MaxContext,
            MaxSequencesPerStep = PerplexityRunner.WindowsInFlight, MaxBatchedTokens = 2048, PrefillChunkSize = 1024, RequestTimeoutSeconds = 0,
        };
        return OfflineEngineRun.RunAsync(options, async engine =>
        {
            var tokens = parsed.TokenIds ?? (engine.Tokenizer ?? throw new ArgumentException("--text-file needs a tokenizer; this model has none (use --token-ids)."))
                .Encode(await File.ReadAllTextAsync(parsed.TextFile!), addBos: true);
            if (GenerationRequestValidator.ValidatePerplexity(tokens, parsed.Stride, engine.Limits) is { Count: > 0 } errors)
            {
                throw new ArgumentException(string.Join(" ", errors.Select(e => $"{(e.Field == RequestFieldNames.Stride ? "--stride" : "input")}: {e.Message}")));
            }
            var outcome = await PerplexityRunner.RunAsync(engine, tokens, parsed.Stride, "perplexity");
            if (outcome.Failed is { } failed)
            {
                await Console.Error.WriteLineAsync($"perplexity failed: {failed.Code}: {failed.Message}");
                return 1;
            }
            Console.WriteLine(JsonSerializer.Serialize(PerplexityEndpoints.ToResponse(engine.Model, outcome.Result!),
                new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
            return 0;
        });
    }
}
