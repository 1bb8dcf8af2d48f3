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

    public static RequestFieldNames Completion { get; } = new("prompt", "max_tokens");

    public static RequestFieldNames Chat { get; } = new("messages", "max_tokens");

    /// <summary>POST /v1/perplexity: the text or ids arrive as <c>input</c>; there is no token limit to name.</summary>
    public static RequestFieldNames Perplexity { get; } = new("input", "max_tokens");

    public static RequestFieldNames ChatCompletionTokens { get; } = new("messages", "max_completion_tokens");
}
