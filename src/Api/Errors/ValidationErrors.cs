using GqaService.Inference.Limits;

namespace GqaService.Api.Errors;

/// <summary>Validation messages keyed by the JSON field name, as <c>errors</c> of a 400 problem.</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }
        messages.Add(message);
    }

    public Dictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);

    public static Dictionary<string, string[]> From(IEnumerable<FieldError> fieldErrors)
    {
        var errors = new ValidationErrors();
        foreach (var error in fieldErrors)
        {
            errors.Add(error.Field, error.Message);
        }
        return errors.ToDictionary();
    }

    public static Dictionary<string, string[]> Single(string field, string message) => new(StringComparer.Ordinal) { [field] = [message] };
}
