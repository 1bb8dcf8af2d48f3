namespace GqaService.Inference.Templating;

/// <summary>One chat message as a template sees it: <c>message.role</c> and <c>message.content</c>.</summary>
public sealed record ChatTemplateMessage(string Role, string Content);
