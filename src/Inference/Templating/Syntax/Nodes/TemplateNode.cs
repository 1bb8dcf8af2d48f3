namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary>A statement of the template body: text, output, or a block tag.</summary>
internal abstract record TemplateNode(int Line);
