namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary>A variable: <c>messages</c>, <c>loop</c>, <c>ns</c>.</summary>
internal sealed record NameExpression(int Line, string Name) : Expression(Line);
