namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary>
/// <c>{% for a[, b] in iterable [if filter] %}…{% else %}…{% endfor %}</c>. <see cref="Else"/> renders when no item
/// passed the filter; <c>loop.*</c> counts only the items that did.
/// </summary>
internal sealed record ForNode(int Line, IReadOnlyList<string> Targets, Expression Iterable, Expression? Filter,
    IReadOnlyList<TemplateNode> Body, IReadOnlyList<TemplateNode> Else) : TemplateNode(Line);
