namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary>A string, number, <c>true</c>/<c>false</c> or <c>none</c> literal.</summary>
internal sealed record LiteralExpression(int Line, object? Value) : Expression(Line);
