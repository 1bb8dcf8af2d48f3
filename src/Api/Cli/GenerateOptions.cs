using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace GqaService.Api.Cli;

/// <summary>The switches of <c>generate</c>; exactly one of <c>--prompt</c> and <c>--prompt-ids</c>.</summary>
internal sealed class GenerateOptions
{
    public Option<string?> Model { get; } = new("--model", "-m")
    {
        Description = "Model: llama2.c .bin, a folder holding one, or a Hugging Face directory. Default: the built-in demo model.",
        HelpName = "path",
    };

    public Option<string?> Tokenizer { get; } = new("--tokenizer") { Description = "SentencePiece tokenizer.model. Default: the one beside the weights.", HelpName = "path" };

    public Option<string?> Prompt { get; } = new("--prompt", "-p") { Description = "Prompt text (BOS added by the tokenizer).", HelpName = "text" };

    public Option<int[]?> PromptIds { get; } = new("--prompt-ids")
    {
        Description = "Prompt token ids, comma-separated, used exactly as given (e.g. 1 for BOS of llama2.c models).",
        HelpName = "1,2,3",
        CustomParser = TokenIdList.Parse,
    };

    public Option<int> MaxTokens { get; } = new("--max-tokens") { Description = "Tokens to generate.", DefaultValueFactory = _ => 64 };

    public Option<float> Temperature { get; } = new("--temperature") { Description = "0 is greedy.", DefaultValueFactory = _ => 0f };

    public Option<float> TopP { get; } = new("--top-p") { Description = "Nucleus sampling mass, 0 < p <= 1.", DefaultValueFactory = _ => 1f };

    public Option<int> TopK { get; } = new("--top-k") { Description = "Keep the k most likely tokens; 0 is off.", DefaultValueFactory = _ => 0 };

    public Option<ulong?> Seed { get; } = new("--seed") { Description = "Seed of the sampler (same seed and parameters, same output)." };

    public Option<bool> IgnoreEos { get; } = new("--ignore-eos") { Description = "Keep generating past end-of-sequence." };

    public Option<int> KvHeads { get; } = KvHeadsOption.Create();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Model, Tokenizer, Prompt, PromptIds, MaxTokens, Temperature, TopP, TopK, Seed, IgnoreEos, KvHeads })
        {
            command.Options.Add(option);
        }
        command.Validators.Add(result =>
        {
            if ((result.GetResult(Prompt) is null) == (result.GetResult(PromptIds) is null))
            {
                result.AddError("Give exactly one of --prompt and --prompt-ids.");
            }
        });
    }

    public GenerateArguments Read(ParseResult parse, string currentDirectory) => new(
        Absolute(parse.GetValue(Model), currentDirectory), Absolute(parse.GetValue(Tokenizer), currentDirectory),
        // An absent array option still reads as an empty array; only a given one is a prompt.
        parse.GetResult(PromptIds) is null ? null : parse.GetValue(PromptIds), parse.GetValue(Prompt), parse.GetValue(MaxTokens), parse.GetValue(Temperature),
        parse.GetValue(TopP), parse.GetValue(TopK), parse.GetValue(Seed), parse.GetValue(IgnoreEos)) { KvHeads = parse.GetValue(KvHeads) };

    private static string? Absolute(string? path, string currentDirectory) =>
        string.IsNullOrEmpty(path) ? null : Path.GetFullPath(path, currentDirectory);
}
