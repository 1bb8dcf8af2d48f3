namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary><c>not x</c>, <c>-x</c>, <c>+x</c>.</summary>
internal sealed record UnaryExpression(int Line, string Operator, Expression Operand) : Expression(Line);
