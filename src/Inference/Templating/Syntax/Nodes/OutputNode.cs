namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary><c>{{ value }}</c></summary>
internal sealed record OutputNode(int Line, Expression Value) : TemplateNode(Line);
