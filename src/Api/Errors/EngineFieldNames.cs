using System.Text.Json;

namespace GqaService.Api.Errors;

/// <summary>Maps <see cref="Inference.Engine.InvalidGenerationRequestException.Field"/> (a C# or JSON name) to the JSON field the client sent.</summary>
public static class EngineFieldNames
{
    public static string ToJsonField(string engineField, bool chat)
    {
        var key = engineField.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();
        return key switch
        {
            "prompt" or "prompttokenids" or "prompttokens" or "prompttoken" or "tokens" or "messages" => chat ? "messages" : "prompt",
            "maxtokens" or "maxnewtokens" or "maxcompletiontokens" => "max_tokens",
            "temperature" or "sampling.temperature" => "temperature",
            "topp" or "sampling.topp" => "top_p",
            "topk" or "sampling.topk" => "top_k",
            "seed" or "sampling.seed" => "seed",
            "stop" or "stopsequences" => "stop",
            "stoptokenids" => "stop_token_ids",
            "sessionid" or "session" => "session_id",
            "ignoreeos" => "ignore_eos",
            _ => JsonNamingPolicy.SnakeCaseLower.ConvertName(engineField),
        };
    }
}
