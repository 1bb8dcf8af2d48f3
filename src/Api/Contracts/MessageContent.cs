using System.Text.Json.Serialization;

namespace GqaService.Api.Contracts;

/// <summary>A message's content: a string, or text parts joined in order.</summary>
[JsonConverter(typeof(MessageContentJsonConverter))]
public sealed record MessageContent(string Text);
