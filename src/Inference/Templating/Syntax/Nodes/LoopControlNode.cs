namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary><c>{% break %}</c> or <c>{% continue %}</c> inside a loop.</summary>
internal sealed record LoopControlNode(int Line, bool IsBreak) : TemplateNode(Line);
