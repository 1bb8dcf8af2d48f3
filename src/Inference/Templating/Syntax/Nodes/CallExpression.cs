namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary><c>callee(arguments)</c>: a global function, a macro, or a method such as <c>content.strip()</c>.</summary>
internal sealed record CallExpression(int Line, Expression Callee, ArgumentList Arguments) : Expression(Line);
