namespace GqaService.Inference.Limits;

/// <summary>
/// What a session id may be: 1 to <see cref="MaxLength"/> characters (fewer if <c>Inference:MaxSessionIdLength</c> says so)
/// from <c>[A-Za-z0-9._:-]</c>. Ids travel in URLs (<c>/v1/sessions/{id}</c>), headers and logs, so nothing that needs escaping,
/// separates path segments or breaks a log line (a <c>/</c>, control characters, newlines) is ever accepted.
/// </summary>
public static class SessionIds
{
    public const int MaxLength = 128;
    public const string CharacterSet = "[A-Za-z0-9._:-]";

    /// <summary>Why <paramref name="id"/> is not a valid session id, or null when it is.</summary>
    public static string? Problem(string id, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.Length == 0 || id.Length > maxLength)
        {
            return $"must be 1..{maxLength} characters (got {id.Length}).";
        }
        var bad = id.AsSpan().IndexOfAnyExcept(Allowed);
        return bad < 0 ? null : $"may contain only the characters {CharacterSet} (character {bad} is U+{(int)id[bad]:X4}).";
    }

    private static readonly System.Buffers.SearchValues<char> Allowed =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");
}
