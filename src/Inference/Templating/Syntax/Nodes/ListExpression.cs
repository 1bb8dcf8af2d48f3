namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary><c>[a, b]</c>, or a tuple <c>(a, b)</c> / <c>a, b</c> (a list at run time).</summary>
internal sealed record ListExpression(int Line, IReadOnlyList<Expression> Items, bool IsTuple) : Expression(Line);
