namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary><c>{% if %}…{% elif %}…{% else %}…{% endif %}</c>; an <c>elif</c> is a nested <see cref="IfNode"/> in <see cref="Else"/>.</summary>
internal sealed record IfNode(int Line, Expression Condition, IReadOnlyList<TemplateNode> Then, IReadOnlyList<TemplateNode> Else) : TemplateNode(Line);
