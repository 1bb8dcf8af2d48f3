using GqaService.Inference.Limits;

namespace GqaService.Api.Errors;

/// <summary>
/// Validation messages keyed by the JSON field name, as <c>errors</c> of a 400 problem, in the order found: the first field is
/// the OpenAI error's <c>param</c>, its code the error's <c>code</c>.
/// </summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    /// <summary>Messages added so far (over every field).</summary>
    public int Count { get; private set; }

    /// <summary>The code of the first error (<see cref="ValidationCodes"/>).</summary>
    public string Code { get; private set; } = ValidationCodes.InvalidValue;

    public void Add(string field, string message, string code = ValidationCodes.InvalidValue)
    {
        if (_errors.Count == 0)
        {
            Code = code;
        }
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }
        messages.Add(message);
        Count++;
    }

    public Dictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);

    public static ValidationErrors From(IEnumerable<FieldError> fieldErrors)
    {
        var errors = new ValidationErrors();
        foreach (var error in fieldErrors)
        {
            errors.Add(error.Field, error.Message);
        }
        return errors;
    }

    public static ValidationErrors Single(string field, string message, string code = ValidationCodes.InvalidValue)
    {
        var errors = new ValidationErrors();
        errors.Add(field, message, code);
        return errors;
    }
}
