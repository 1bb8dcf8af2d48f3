using System.CommandLine;

namespace GqaService.Api.Cli;

/// <summary><c>--kv-heads N</c>, shared by the verbs that load a model: short for <c>Inference:KvHeads</c>.</summary>
internal static class KvHeadsOption
{
    public static Option<int> Create()
    {
        var option = new Option<int>("--kv-heads")
        {
            Description = "Regroup the model's K/V heads to N at load by mean pooling (GQA conversion without uptraining; N divides the model's K/V heads, 1 = MQA). " +
                "Inference:KvHeads; default: the checkpoint's own.",
            HelpName = "N",
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--kv-heads must be a positive number of K/V heads.");
            }
        });
        return option;
    }
}
