using System.Text;
using GqaService.Inference.Engine;

namespace GqaService.Api.Generation;

/// <summary>What one choice has produced so far, as the HTTP side gathers it (text, ids, rendered logprobs, its final event).</summary>
internal sealed class ChoiceProgress
{
    private readonly StringBuilder _text = new();
    private readonly List<int> _tokenIds = [];
    private readonly List<RenderedLogprob> _logprobs = [];

    public string Text => _text.ToString();
    public IReadOnlyList<int> TokenIds => _tokenIds;
    public IReadOnlyList<RenderedLogprob> Logprobs => _logprobs;
    public GenerationFinished? Finished { get; private set; }

    public void Observe(GenerationEvent next, LogprobsRenderer renderer)
    {
        switch (next)
        {
            case TokenGenerated token:
                if (token.Logprobs is { } logprobs)
                {
                    _logprobs.Add(renderer.Render(token.TokenId, logprobs, _text.Length));
                }
                _tokenIds.Add(token.TokenId);
                _text.Append(token.TextDelta);
                break;
            case GenerationFinished finished:
                _text.Append(finished.TextDelta);
                Finished = finished;
                break;
        }
    }
}
