namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary><c>operand | name(arguments)</c></summary>
internal sealed record FilterExpression(int Line, Expression Operand, string Name, ArgumentList Arguments) : Expression(Line);
