using System.Text.Json;
using System.Text.Json.Serialization;

namespace GqaService.Api.Contracts;

/// <summary>Reads a string or an array of integers; arrays of strings or arrays (batched prompts) are refused (n=1 only).</summary>
public sealed class PromptInputJsonConverter : JsonConverter<PromptInput>
{
    public override PromptInput Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return PromptInput.FromText(reader.GetString()!);
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonFieldException("must be a string or an array of token ids.");
        }
        var ids = new List<int>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                throw new JsonFieldException("arrays of strings (batched prompts) are not supported; send one string.");
            }
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var id))
            {
                throw new JsonFieldException("an array prompt must hold integer token ids.");
            }
            ids.Add(id);
        }
        return PromptInput.FromTokenIds(ids);
    }

    public override void Write(Utf8JsonWriter writer, PromptInput value, JsonSerializerOptions options)
    {
        if (value.Text is not null)
        {
            writer.WriteStringValue(value.Text);
            return;
        }
        JsonSerializer.Serialize(writer, value.TokenIds ?? [], options);
    }
}
