using System.Text;
using GqaService.Inference.Tokenization;

namespace GqaService.Inference.Tests.Tokenization;

public sealed class StopSequenceMatcherTests
{
    [Fact]
    public void WithoutStopStringsEverythingPassesThrough()
    {
        var matcher = new StopSequenceMatcher([]);
        Assert.Equal(new StopSequenceResult("abc", false), matcher.Push("abc"));
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void TextBeforeTheStopIsEmittedAndTheStopIsNot()
    {
        var matcher = new StopSequenceMatcher(["END"]);
        Assert.Equal(new StopSequenceResult("Hello", false), matcher.Push("Hello"));
        Assert.Equal(new StopSequenceResult(" wor", false), matcher.Push(" wor"));
        Assert.Equal(new StopSequenceResult("ld ", true), matcher.Push("ld END more"));
        Assert.True(matcher.Stopped);
        Assert.Equal(new StopSequenceResult("", true), matcher.Push("after"));
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void PossibleStartOfAStopIsHeldBackUntilResolved()
    {
        var matcher = new StopSequenceMatcher(["</s>"]);
        Assert.Equal(new StopSequenceResult("abc", false), matcher.Push("abc<"));
        Assert.Equal(new StopSequenceResult("", false), matcher.Push("/"));
        Assert.Equal(new StopSequenceResult("</x", false), matcher.Push("x"));
        Assert.Equal(new StopSequenceResult("", false), matcher.Push("</"));
        Assert.Equal(new StopSequenceResult("", true), matcher.Push("s>tail"));
    }

    [Fact]
    public void HeldTextIsReleasedByFlush()
    {
        var matcher = new StopSequenceMatcher(["\n\n"]);
        Assert.Equal(new StopSequenceResult("line", false), matcher.Push("line\n"));
        Assert.Equal("\n", matcher.Flush());
    }

    [Fact]
    public void EarliestOfSeveralStopsWins()
    {
        var matcher = new StopSequenceMatcher(["world", "lo w", ""]);
        Assert.Equal(new StopSequenceResult("hel", true), matcher.Push("hello world"));
    }

    [Fact]
    public void StopInsideOneCharacterStepsIsFoundAcrossManyDeltas()
    {
        var random = new Random(42);
        for (var trial = 0; trial < 500; trial++)
        {
            var text = new string(Enumerable.Range(0, random.Next(0, 30)).Select(_ => "ab"[random.Next(2)]).ToArray());
            var matcher = new StopSequenceMatcher(["aab", "bbb"]);
            var emitted = new StringBuilder();
            var stopped = false;
            for (var at = 0; at < text.Length && !stopped;)
            {
                var length = Math.Min(random.Next(1, 4), text.Length - at);
                var result = matcher.Push(text.Substring(at, length));
                emitted.Append(result.Text);
                stopped = result.Stopped;
                at += length;
            }
            if (!stopped)
            {
                emitted.Append(matcher.Flush());
            }

            var stopAt = new[] { text.IndexOf("aab", StringComparison.Ordinal), text.IndexOf("bbb", StringComparison.Ordinal) }
                .Where(i => i >= 0).DefaultIfEmpty(-1).Min();
            Assert.Equal(stopAt >= 0, stopped);
            Assert.Equal(stopAt >= 0 ? text[..stopAt] : text, emitted.ToString());
        }
    }
}
