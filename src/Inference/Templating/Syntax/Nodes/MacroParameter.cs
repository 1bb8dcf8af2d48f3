namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary>One parameter of a macro, with its default if it has one.</summary>
internal sealed record MacroParameter(string Name, Expression? Default);
