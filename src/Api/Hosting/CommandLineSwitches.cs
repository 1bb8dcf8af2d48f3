namespace GqaService.Api.Hosting;

/// <summary>Short switches of the <c>serve</c> verb, mapped onto the configuration keys the engine binds.</summary>
public static class CommandLineSwitches
{
    public static IDictionary<string, string> Mappings { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["--model"] = "Inference:ModelPath",
        ["--tokenizer"] = "Inference:TokenizerPath",
    };

    /// <summary>The arguments after the verb: <c>serve --model x</c> and plain <c>--model x</c> both work.</summary>
    public static string[] ServeArguments(string[] args) => args.Length > 0 && args[0] == "serve" ? args[1..] : args;
}
