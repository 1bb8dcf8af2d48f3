namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary>Arithmetic, <c>~</c>, comparisons, <c>in</c>/<c>not in</c>, <c>and</c>/<c>or</c>.</summary>
internal sealed record BinaryExpression(int Line, string Operator, Expression Left, Expression Right) : Expression(Line);
