namespace GqaService.Api.Contracts;

public sealed record SessionDeleted(string Id)
{
    /// <example>session</example>
    public string Object { get; init; } = "session";
    public bool Deleted { get; init; } = true;
}
