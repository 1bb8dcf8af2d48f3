namespace GqaService.Api.Cli;

/// <summary>The one-shot <c>generate</c> verb: load a model, generate once, print one JSON object.</summary>
public static class GenerateCommand
{
    public static Task<int> RunAsync(string[] args)
    {
        Console.Error.WriteLine("generate: not implemented yet");
        return Task.FromResult(2);
    }
}
