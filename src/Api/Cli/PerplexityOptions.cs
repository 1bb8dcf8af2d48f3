using System.CommandLine;

namespace GqaService.Api.Cli;

/// <summary>The switches of <c>perplexity</c>; exactly one of <c>--text-file</c> and <c>--token-ids</c>.</summary>
internal sealed class PerplexityOptions
{
    public Option<string?> Model { get; } = new("--model", "-m")
    {
        Description = "Model: llama2.c .bin, a folder holding one, a Hugging Face directory or a .gguf file. Default: the built-in demo model.",
        HelpName = "path",
    };

    public Option<string?> Tokenizer { get; } = new("--tokenizer") { Description = "SentencePiece tokenizer.model. Default: the one beside the weights.", HelpName = "path" };

    public Option<string?> TextFile { get; } = new("--text-file", "-f") { Description = "A UTF-8 text file to score (encoded with BOS).", HelpName = "path" };

    public Option<int[]?> TokenIds { get; } = new("--token-ids")
    {
        Description = "Token ids to score, comma-separated, used exactly as given.",
        HelpName = "1,2,3",
        CustomParser = TokenIdList.Parse,
    };

    public Option<int?> Stride { get; } = new("--stride")
    {
        Description = "Tokens between window starts, 1..window (the served context less one); default half the window.",
        HelpName = "tokens",
    };

    public Option<int> MaxContext { get; } = new("--max-context")
    {
        Description = "Serve a smaller context than the model's (Inference:MaxContext), which shortens the windows; 0: the model's.",
        DefaultValueFactory = _ => 0,
    };

    public Option<int> KvHeads { get; } = KvHeadsOption.Create();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Model, Tokenizer, TextFile, TokenIds, Stride, MaxContext, KvHeads })
        {
            command.Options.Add(option);
        }
        command.Validators.Add(result =>
        {
            if ((result.GetResult(TextFile) is null) == (result.GetResult(TokenIds) is null))
            {
                result.AddError("Give exactly one of --text-file and --token-ids.");
            }
        });
    }

    public PerplexityArguments Read(ParseResult parse, string currentDirectory) => new(
        Absolute(parse.GetValue(Model), currentDirectory), Absolute(parse.GetValue(Tokenizer), currentDirectory),
        Absolute(parse.GetValue(TextFile), currentDirectory), parse.GetResult(TokenIds) is null ? null : parse.GetValue(TokenIds),
        parse.GetValue(Stride), parse.GetValue(KvHeads), parse.GetValue(MaxContext));

    private static string? Absolute(string? path, string currentDirectory) =>
        string.IsNullOrEmpty(path) ? null : Path.GetFullPath(path, currentDirectory);
}
