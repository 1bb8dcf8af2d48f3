using GqaService.Api.Hosting;
using Microsoft.Extensions.Configuration;

namespace GqaService.Api.Tests;

public sealed class CommandLineSwitchesTests
{
    [Fact]
    public void ServeSwitches_MapToInferenceKeys()
    {
        var args = CommandLineSwitches.ServeArguments(["serve", "--model", "/m.bin", "--tokenizer=/t.model", "--urls", "http://127.0.0.1:8080"]);

        var configuration = new ConfigurationBuilder().AddCommandLine(args, CommandLineSwitches.Mappings).Build();

        Assert.Equal("/m.bin", configuration["Inference:ModelPath"]);
        Assert.Equal("/t.model", configuration["Inference:TokenizerPath"]);
        Assert.Equal("http://127.0.0.1:8080", configuration["urls"]);
    }
}
