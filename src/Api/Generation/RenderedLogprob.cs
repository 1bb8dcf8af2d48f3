namespace GqaService.Api.Generation;

/// <summary>One generated token's logprobs as the wire shows them: its text and bytes, offset in the choice's text, and alternatives.</summary>
public sealed record RenderedLogprob(string Token, byte[] Bytes, double Logprob, IReadOnlyList<RenderedAlternative> Top, int TextOffset);
