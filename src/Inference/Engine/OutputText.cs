using GqaService.Inference.Tokenization;

namespace GqaService.Inference.Engine;

/// <summary>Streaming text of one request: whole UTF-8 characters only, with stop strings held back and cut off.</summary>
/// <remarks>The detokenizer knows the last prompt token so a leading SentencePiece space is dropped after BOS, as llama2.c prints it.</remarks>
internal sealed class OutputText(ITextTokenizer tokenizer, IReadOnlyList<string> stopSequences, int lastPromptToken)
{
    private readonly IncrementalDetokenizer _detokenizer = new(tokenizer, lastPromptToken);
    private readonly StopSequenceMatcher? _stops = stopSequences.Count > 0 ? new StopSequenceMatcher(stopSequences) : null;

    public OutputDelta Push(int token)
    {
        var text = _detokenizer.Add(token);
        if (_stops is null)
        {
            return new OutputDelta(text, false);
        }
        var result = _stops.Push(text);
        return new OutputDelta(result.Text, result.Stopped);
    }

    /// <summary>Whatever was held back, once the output has ended for another reason.</summary>
    public string Flush()
    {
        var tail = _detokenizer.Flush();
        if (_stops is null)
        {
            return tail;
        }
        var result = _stops.Push(tail);
        return result.Stopped ? result.Text : result.Text + _stops.Flush();
    }
}
