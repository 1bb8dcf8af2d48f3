using System.Text.Json.Serialization;

namespace GqaService.Api.Contracts;

/// <summary>The <c>stop</c> field: one string or an array of strings.</summary>
[JsonConverter(typeof(StopInputJsonConverter))]
public sealed record StopInput(IReadOnlyList<string> Sequences);
