namespace GqaService.Inference.Templating;

/// <summary>
/// Rendering failed: the template called <c>raise_exception(message)</c> (<see cref="RaisedByTemplate"/>; the message is
/// the template's own, e.g. "Conversation roles must alternate user/assistant/user/assistant/..."), or an operation did
/// not apply to its values (e.g. comparing a string with a list).
/// </summary>
public sealed class TemplateRenderException(string message, int line, bool raisedByTemplate)
    : Exception(raisedByTemplate ? message : $"{message} (template line {line})")
{
    public int Line { get; } = line;

    public bool RaisedByTemplate { get; } = raisedByTemplate;
}
