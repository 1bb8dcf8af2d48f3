using System.Text;
using GqaService.Inference.Sampling;
using GqaService.Inference.Tokenization;

namespace GqaService.Api.Generation;

/// <summary>
/// Names the tokens of the engine's logprobs: each token's own bytes from the tokenizer, its text their UTF-8 decoding (a
/// token holding part of a character shows U+FFFD, its bytes stay exact). Without a tokenizer a token is
/// <c>token_id:N</c>, as vLLM spells it.
/// </summary>
public sealed class LogprobsRenderer(ITextTokenizer? tokenizer)
{
    public RenderedLogprob Render(int tokenId, TokenLogprobs logprobs, int textOffset)
    {
        var (token, bytes) = Name(tokenId);
        var top = logprobs.Top.Select(t =>
        {
            var (text, altBytes) = Name(t.TokenId);
            return new RenderedAlternative(text, altBytes, t.Logprob);
        }).ToList();
        return new RenderedLogprob(token, bytes, logprobs.Logprob, top, textOffset);
    }

    private (string Text, byte[] Bytes) Name(int tokenId)
    {
        if (tokenizer is null)
        {
            var name = $"token_id:{tokenId}";
            return (name, Encoding.UTF8.GetBytes(name));
        }
        var bytes = tokenizer.TokenBytes(tokenId);
        return (Encoding.UTF8.GetString(bytes), bytes);
    }
}
