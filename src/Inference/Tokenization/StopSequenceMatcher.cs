using System.Text;

namespace GqaService.Inference.Tokenization;

/// <summary>
/// Watches streamed text for stop strings. Text that might be the beginning of a stop string is held back until it is
/// known not to be one, so a client never sees part of a stop string. Not thread-safe: one per generation.
/// </summary>
public sealed class StopSequenceMatcher
{
    private readonly string[] _stops;
    private readonly StringBuilder _held = new();
    private bool _stopped;

    /// <param name="stopStrings">Empty strings are ignored.</param>
    public StopSequenceMatcher(IEnumerable<string> stopStrings)
    {
        _stops = stopStrings.Where(s => s.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
    }

    public bool Stopped => _stopped;

    public StopSequenceResult Push(string delta)
    {
        if (_stopped)
        {
            return new StopSequenceResult("", true);
        }
        _held.Append(delta);
        var text = _held.ToString();
        var stopAt = EarliestStop(text);
        if (stopAt >= 0)
        {
            _stopped = true;
            _held.Clear();
            return new StopSequenceResult(text[..stopAt], true);
        }
        var keep = LongestSuffixStartingAStop(text);
        _held.Clear().Append(text, text.Length - keep, keep);
        return new StopSequenceResult(text[..^keep], false);
    }

    /// <summary>At the end of generation: the held-back text was not a stop string after all.</summary>
    public string Flush()
    {
        var text = _stopped ? "" : _held.ToString();
        _held.Clear();
        return text;
    }

    private int EarliestStop(string text)
    {
        var earliest = -1;
        foreach (var stop in _stops)
        {
            var at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (earliest < 0 || at < earliest))
            {
                earliest = at;
            }
        }
        return earliest;
    }

    private int LongestSuffixStartingAStop(string text)
    {
        var longest = 0;
        foreach (var stop in _stops)
        {
            for (var length = Math.Min(stop.Length - 1, text.Length); length > longest; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }
}
