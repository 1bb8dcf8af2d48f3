namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary>
/// <c>{% set name = value %}</c>, <c>{% set a, b = pair %}</c>, <c>{% set ns.attribute = value %}</c>, or the block form
/// <c>{% set name %}…{% endset %}</c> (<see cref="Body"/> rendered to a string).
/// </summary>
internal sealed record SetNode(int Line, Expression Target, Expression? Value, IReadOnlyList<TemplateNode>? Body) : TemplateNode(Line);
