namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary>The arguments of a call, filter or test: positional, then <c>name=value</c>.</summary>
internal sealed record ArgumentList(IReadOnlyList<Expression> Positional, IReadOnlyList<KeyValuePair<string, Expression>> Keyword)
{
    public static readonly ArgumentList Empty = new([], []);
}
