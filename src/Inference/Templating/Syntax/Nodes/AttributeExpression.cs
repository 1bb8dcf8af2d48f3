namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary><c>target.name</c>: a dict entry, a namespace attribute, <c>loop.index</c>, or a method to call.</summary>
internal sealed record AttributeExpression(int Line, Expression Target, string Name) : Expression(Line);
