namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary><c>operand is [not] name</c>, optionally with an argument (<c>x is equalto 3</c>).</summary>
internal sealed record TestExpression(int Line, Expression Operand, string Name, bool Negated, ArgumentList Arguments) : Expression(Line);
