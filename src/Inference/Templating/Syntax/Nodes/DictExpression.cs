namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary><c>{'key': value, ...}</c></summary>
internal sealed record DictExpression(int Line, IReadOnlyList<KeyValuePair<Expression, Expression>> Entries) : Expression(Line);
