namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary><c>target[index]</c>: a list or string position (negative counts from the end) or a dict key.</summary>
internal sealed record IndexExpression(int Line, Expression Target, Expression Index) : Expression(Line);
