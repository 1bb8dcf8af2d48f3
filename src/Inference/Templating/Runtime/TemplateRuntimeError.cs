namespace GqaService.Inference.Templating.Runtime;

/// <summary>Raised by the value helpers, which do not know the template line; the evaluator rethrows it as a
/// <see cref="TemplateRenderException"/> with the line of the node being evaluated.</summary>
internal sealed class TemplateRuntimeError(string message, bool raisedByTemplate = false) : Exception(message)
{
    public bool RaisedByTemplate { get; } = raisedByTemplate;
}
