namespace GqaService.Api.Contracts;

public sealed record ModelList(IReadOnlyList<ModelCard> Data)
{
    /// <example>list</example>
    public string Object { get; init; } = "list";
}
