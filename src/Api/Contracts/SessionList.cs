namespace GqaService.Api.Contracts;

public sealed record SessionList(IReadOnlyList<SessionDto> Data)
{
    /// <example>list</example>
    public string Object { get; init; } = "list";
}
