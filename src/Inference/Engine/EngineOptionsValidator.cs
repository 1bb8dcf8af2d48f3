using Microsoft.Extensions.Options;

namespace GqaService.Inference.Engine;

/// <summary>Cross-field rules the attributes cannot state.</summary>
public sealed class EngineOptionsValidator : IValidateOptions<EngineOptions>
{
    public ValidateOptionsResult Validate(string? name, EngineOptions options)
    {
        var failures = new List<string>();
        if (options.DefaultMaxTokens > options.MaxTokensLimit)
        {
            failures.Add($"{nameof(EngineOptions.DefaultMaxTokens)} ({options.DefaultMaxTokens}) exceeds {nameof(EngineOptions.MaxTokensLimit)} ({options.MaxTokensLimit}).");
        }
        if (options.MaxBatchedTokens < options.MaxSequencesPerStep)
        {
            failures.Add($"{nameof(EngineOptions.MaxBatchedTokens)} ({options.MaxBatchedTokens}) must allow one token per sequence ({nameof(EngineOptions.MaxSequencesPerStep)} = {options.MaxSequencesPerStep}).");
        }
        if (!KvCache.KvLayout.TryParseDtype(options.KvDtype, out _))
        {
            failures.Add($"{nameof(EngineOptions.KvDtype)}: '{options.KvDtype}' is not one of {string.Join(", ", KvCache.KvLayout.DtypeNames)}.");
        }
        if (!Precision.WeightDtypeChooser.TryParse(options.WeightDtype, out _))
        {
            failures.Add($"{nameof(EngineOptions.WeightDtype)}: '{options.WeightDtype}' is not one of {string.Join(", ", Precision.WeightDtypeChooser.Names)}.");
        }
        if (!string.IsNullOrEmpty(options.ModelPath) && !File.Exists(options.ModelPath) && !Directory.Exists(options.ModelPath))
        {
            failures.Add($"{nameof(EngineOptions.ModelPath)}: '{options.ModelPath}' does not exist.");
        }
        if (!string.IsNullOrEmpty(options.TokenizerPath) && !File.Exists(options.TokenizerPath))
        {
            failures.Add($"{nameof(EngineOptions.TokenizerPath)}: '{options.TokenizerPath}' does not exist.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
