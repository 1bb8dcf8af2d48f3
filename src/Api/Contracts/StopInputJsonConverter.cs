using System.Text.Json;
using System.Text.Json.Serialization;

namespace GqaService.Api.Contracts;

public sealed class StopInputJsonConverter : JsonConverter<StopInput>
{
    public override StopInput Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return new StopInput([reader.GetString()!]);
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonFieldException("must be a string or an array of strings.");
        }
        var sequences = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new JsonFieldException("must be a string or an array of strings.");
            }
            sequences.Add(reader.GetString()!);
        }
        return new StopInput(sequences);
    }

    public override void Write(Utf8JsonWriter writer, StopInput value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value.Sequences, options);
}
