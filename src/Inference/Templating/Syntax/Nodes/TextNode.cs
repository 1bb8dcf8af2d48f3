namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary>Literal text, written as it is.</summary>
internal sealed record TextNode(int Line, string Text) : TemplateNode(Line);
