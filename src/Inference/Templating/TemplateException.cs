namespace GqaService.Inference.Templating;

/// <summary>
/// A template the interpreter cannot run: a syntax error or a construct it does not support (a statement, filter, test,
/// method or function it does not implement). Thrown by <see cref="ChatTemplate.Parse"/>, so an unusable template is
/// found when a model loads, not at its first chat request.
/// </summary>
public sealed class TemplateException(string construct, int line, string detail)
    : Exception($"{construct} at line {line}: {detail}")
{
    /// <summary>What could not be parsed, e.g. <c>statement 'include'</c>, <c>filter 'wordwrap'</c>, <c>syntax</c>.</summary>
    public string Construct { get; } = construct;

    /// <summary>1-based line of the template source.</summary>
    public int Line { get; } = line;
}
