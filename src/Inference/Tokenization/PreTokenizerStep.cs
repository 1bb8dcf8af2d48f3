using System.Text.RegularExpressions;

namespace GqaService.Inference.Tokenization;

/// <summary>One stage of a tokenizer.json pre-tokenizer: splits each piece further, keeping matches and the gaps between them.</summary>
internal sealed class PreTokenizerStep(Regex pattern)
{
    /// <summary>GPT-2's split, what a <c>ByteLevel</c> pre-tokenizer with <c>use_regex</c> applies.</summary>
    public static PreTokenizerStep Gpt2 { get; } = new(new Regex(
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant | RegexOptions.Compiled));

    /// <summary><c>Digits</c> with <c>individual_digits</c>: every digit is a piece of its own.</summary>
    public static PreTokenizerStep IndividualDigits { get; } = new(new Regex(@"\p{N}", RegexOptions.CultureInvariant | RegexOptions.Compiled));

    /// <summary><c>Digits</c> without <c>individual_digits</c>: runs of digits are pieces.</summary>
    public static PreTokenizerStep DigitRuns { get; } = new(new Regex(@"\p{N}+", RegexOptions.CultureInvariant | RegexOptions.Compiled));

    /// <summary>Hugging Face's <c>Isolated</c> split behaviour: every match and every non-empty gap is a piece.</summary>
    public IEnumerable<string> Split(string piece)
    {
        var at = 0;
        foreach (Match match in pattern.Matches(piece))
        {
            if (match.Length == 0)
            {
                continue;
            }
            if (match.Index > at)
            {
                yield return piece[at..match.Index];
            }
            yield return match.Value;
            at = match.Index + match.Length;
        }
        if (at < piece.Length)
        {
            yield return piece[at..];
        }
    }
}
