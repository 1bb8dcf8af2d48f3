namespace GqaService.Api.Generation;

/// <summary>One alternative token at a position: its text, bytes and logprob.</summary>
public sealed record RenderedAlternative(string Token, byte[] Bytes, double Logprob);
