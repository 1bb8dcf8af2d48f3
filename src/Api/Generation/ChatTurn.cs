namespace GqaService.Api.Generation;

/// <summary>One chat message as the template sees it; Role is system, developer, user or assistant (lower case).</summary>
public sealed record ChatTurn(string Role, string Content);
