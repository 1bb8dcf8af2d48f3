using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GqaService.Api.Contracts;

/// <summary>Reads a string or an array of <c>{"type":"text","text":"..."}</c> parts (what OpenAI clients send); other part types are refused.</summary>
public sealed class MessageContentJsonConverter : JsonConverter<MessageContent>
{
    public override MessageContent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return new MessageContent(reader.GetString()!);
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonFieldException("must be a string or an array of text parts.");
        }
        var text = new StringBuilder();
        using var parts = JsonDocument.ParseValue(ref reader);
        foreach (var part in parts.RootElement.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object
                || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "text"
                || !part.TryGetProperty("text", out var partText) || partText.ValueKind != JsonValueKind.String)
            {
                throw new JsonFieldException("only text parts ({\"type\":\"text\",\"text\":\"...\"}) are supported.");
            }
            text.Append(partText.GetString());
        }
        return new MessageContent(text.ToString());
    }

    public override void Write(Utf8JsonWriter writer, MessageContent value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Text);
}
