namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary><c>a if condition else b</c>; without <c>else</c> the value is undefined when the condition is false.</summary>
internal sealed record ConditionalExpression(int Line, Expression Condition, Expression WhenTrue, Expression? WhenFalse) : Expression(Line);
