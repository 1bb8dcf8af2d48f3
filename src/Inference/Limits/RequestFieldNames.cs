namespace GqaService.Inference.Limits;

/// <summary>
/// The JSON names under which a request's prompt and token limit arrived, so errors name what the client sent: completions
/// send <c>prompt</c>, chat sends <c>messages</c> and <c>max_tokens</c> or <c>max_completion_tokens</c>. Every other field
/// has one name on every endpoint (the constants).
/// </summary>
public sealed record RequestFieldNames(string Prompt, string MaxTokens)
{
    public const string Temperature = "temperature";
    public const string TopP = "top_p";
    public const string TopK = "top_k";
    public const string Stop = "stop";
    public const string StopTokenIds = "stop_token_ids";
    public const string SessionId = "session_id";
    public const string Stride = "stride";
    public const string MinP = "min_p";
    public const string PresencePenalty = "presence_penalty";
    public const string FrequencyPenalty = "frequency_penalty";
    public const string RepetitionPenalty = "repetition_penalty";
    public const string LogitBias = "logit_bias";
    public const string N = "n";
    public const string BestOf = "best_of";
    public const string TopLogprobsField = "top_logprobs";
    public const string LogprobsField = "logprobs";

    /// <summary>Where the number of logprob alternatives arrived: completions' <c>logprobs</c>, chat's <c>top_logprobs</c>.</summary>
    public string TopLogprobs { get; init; } = LogprobsField;

    public static RequestFieldNames Completion { get; } = new("prompt", "max_tokens");

    public static RequestFieldNames Chat { get; } = new("messages", "max_tokens") { TopLogprobs = TopLogprobsField };

    /// <summary>POST /v1/perplexity: the text or ids arrive as <c>input</c>; there is no token limit to name.</summary>
    public static RequestFieldNames Perplexity { get; } = new("input", "max_tokens");

    public static RequestFieldNames ChatCompletionTokens { get; } = new("messages", "max_completion_tokens") { TopLogprobs = TopLogprobsField };
}
