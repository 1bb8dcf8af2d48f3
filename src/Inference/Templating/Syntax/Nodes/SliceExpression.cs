namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary><c>target[start:stop:step]</c> with any part left out, e.g. <c>messages[1:]</c>, <c>messages[::-1]</c>.</summary>
internal sealed record SliceExpression(int Line, Expression Target, Expression? Start, Expression? Stop, Expression? Step) : Expression(Line);
