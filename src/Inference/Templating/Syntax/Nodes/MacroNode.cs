namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary><c>{% macro name(a, b=default) %}…{% endmacro %}</c>: defines a function that renders its body.</summary>
internal sealed record MacroNode(int Line, string Name, IReadOnlyList<MacroParameter> Parameters, IReadOnlyList<TemplateNode> Body) : TemplateNode(Line);
