namespace GqaService.Inference.Loading.Families;

/// <summary>How a family's config says attention is limited to a window of recent tokens.</summary>
public enum SlidingWindowRule
{
    /// <summary>The family has no sliding window; a <c>sliding_window</c> key is refused.</summary>
    None,

    /// <summary>A non-null <c>sliding_window</c> applies to every layer (Mistral).</summary>
    WhenSet,

    /// <summary><c>sliding_window</c> applies only when <c>use_sliding_window</c> is true (Qwen2).</summary>
    WhenEnabled,
}
