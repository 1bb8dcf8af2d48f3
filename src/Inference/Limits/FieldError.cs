namespace GqaService.Inference.Limits;

/// <summary>One problem with a request, keyed by the JSON name of the field the client sent (<c>max_tokens</c>, <c>messages</c>).</summary>
public sealed record FieldError(string Field, string Message);
