namespace GqaService.Inference.Tests.Templating;

/// <summary>What <c>@huggingface/jinja</c> produced for one request: the output or its error, and the clock reading
/// it rendered at (for templates that call <c>strftime_now</c>).</summary>
internal sealed record ReferenceRendering(string? Output, string? Error, DateTimeOffset RenderedAt);
