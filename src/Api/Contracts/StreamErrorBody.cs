namespace GqaService.Api.Contracts;

public sealed record StreamErrorBody
{
    public required string Message { get; init; }
    /// <example>server_error</example>
    public required string Type { get; init; }
    public string? Code { get; init; }
}
