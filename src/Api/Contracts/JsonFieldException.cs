using System.Text.Json;

namespace GqaService.Api.Contracts;

/// <summary>A converter's readable complaint about one field; the serializer fills in <see cref="JsonException.Path"/>.</summary>
public sealed class JsonFieldException(string message) : JsonException(message);
