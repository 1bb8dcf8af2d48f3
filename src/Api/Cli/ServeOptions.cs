using System.CommandLine;
using System.CommandLine.Parsing;

namespace GqaService.Api.Cli;

/// <summary>
/// The switches of <c>serve</c> (also accepted without the verb). <c>--model</c>, <c>--tokenizer</c> and <c>--urls</c> are
/// short for configuration keys; every other key is reached as <c>--Section:Key=value</c> (<see cref="ConfigurationArguments"/>).
/// </summary>
internal sealed class ServeOptions
{
    public Option<string?> Model { get; } = new("--model", "-m")
    {
        Description = "Model: llama2.c .bin, a folder holding one, or a Hugging Face directory (Inference:ModelPath). Default: the built-in demo model.",
        HelpName = "path",
    };

    public Option<string?> Tokenizer { get; } = new("--tokenizer")
    {
        Description = "SentencePiece tokenizer.model (Inference:TokenizerPath). Default: the one beside the weights.",
        HelpName = "path",
    };

    public Option<string?> Urls { get; } = new("--urls")
    {
        Description = "Listening URLs, ';'-separated (urls). Default: http://localhost:5000.",
        HelpName = "url",
    };

    public Option<int> KvHeads { get; } = KvHeadsOption.Create();

    public void AddTo(Command command)
    {
        command.Options.Add(KvHeads);
        command.Options.Add(Model);
        command.Options.Add(Tokenizer);
        command.Options.Add(Urls);
    }

    /// <summary>The parsed switches as configuration entries; paths made absolute against <paramref name="currentDirectory"/>.</summary>
    public ServeSettings Read(ParseResult parse, string currentDirectory, string[] configurationArguments)
    {
        var configuration = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (parse.GetValue(Model) is { Length: > 0 } model)
        {
            configuration["Inference:ModelPath"] = Path.GetFullPath(model, currentDirectory);
        }
        if (parse.GetValue(Tokenizer) is { Length: > 0 } tokenizer)
        {
            configuration["Inference:TokenizerPath"] = Path.GetFullPath(tokenizer, currentDirectory);
        }
        if (parse.GetResult(KvHeads) is not null)
        {
            configuration["Inference:KvHeads"] = parse.GetValue(KvHeads).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (parse.GetValue(Urls) is { Length: > 0 } urls)
        {
            configuration["urls"] = urls;
        }
        return new ServeSettings(configurationArguments, configuration);
    }

}
