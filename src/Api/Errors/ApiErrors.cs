using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;

namespace GqaService.Api.Errors;

/// <summary>
/// The one place error bodies are shaped: RFC 7807 problem details (<c>type</c>, <c>title</c>, <c>status</c>, <c>detail</c>,
/// <c>trace_id</c>, and for a 400 <c>errors</c> keyed by field) that also carry OpenAI's <c>error</c> object
/// (<see cref="OpenAiError"/>). Builders that know the field and code set them; every other problem (the framework's, the
/// status-code pages', Kestrel's rejections) is completed from its status by <see cref="Complete"/>, which the problem-details
/// service runs on every problem it writes.
/// </summary>
public static class ApiErrors
{
    public const string ErrorMember = "error";
    public const string CodeMember = "code";
    public const string TraceMember = "trace_id";
    public const string ValidationTitle = "The request is invalid.";

    public static ProblemDetails Problem(int status, string title, string? detail, string? param = null, string? code = null,
        IReadOnlyDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = TypeUri(status) };
        foreach (var (key, value) in extensions ?? new Dictionary<string, object?>())
        {
            problem.Extensions[key] = value;
        }
        if (code is not null)
        {
            problem.Extensions[CodeMember] = code;
        }
        Complete(problem, param);
        return problem;
    }

    public static HttpValidationProblemDetails Validation(ValidationErrors errors)
    {
        var problem = new HttpValidationProblemDetails(errors.ToDictionary())
        {
            Status = StatusCodes.Status400BadRequest, Title = ValidationTitle, Type = TypeUri(StatusCodes.Status400BadRequest),
        };
        problem.Detail = Message(problem.Errors);
        problem.Extensions[CodeMember] = errors.Code;
        Complete(problem);
        return problem;
    }

    /// <summary>The <c>error</c> object of a 400 listing <paramref name="errors"/>: the first field is the param.</summary>
    public static OpenAiError ValidationError(ValidationErrors errors) => (OpenAiError)Validation(errors).Extensions[ErrorMember]!;

    /// <summary>Adds the <c>error</c> object a problem lacks, derived from its status, detail (or title), first field and code.</summary>
    public static void Complete(ProblemDetails problem, string? param = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        if (problem.Extensions.ContainsKey(ErrorMember))
        {
            return;
        }
        var status = problem.Status ?? StatusCodes.Status500InternalServerError;
        var message = problem.Detail ?? problem.Title ?? ReasonPhrases.GetReasonPhrase(status);
        if (problem is HttpValidationProblemDetails { Errors.Count: > 0 } validation)
        {
            param ??= validation.Errors.Keys.First();
            message = Message(validation.Errors);
        }
        var code = problem.Extensions.TryGetValue(CodeMember, out var named) && named is string text ? text : OpenAiErrorTypes.DefaultCode(status);
        problem.Extensions[ErrorMember] = new OpenAiError { Message = message, Type = OpenAiErrorTypes.ForStatus(status), Param = param, Code = code };
    }

    /// <summary>The RFC 9110 (or 6585) section of a status, as ASP.NET's own problems name it; null for others (the writer's default).</summary>
    private static string? TypeUri(int status) => status switch
    {
        400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        401 => "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        404 => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        405 => "https://tools.ietf.org/html/rfc9110#section-15.5.6",
        408 => "https://tools.ietf.org/html/rfc9110#section-15.5.9",
        409 => "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        411 => "https://tools.ietf.org/html/rfc9110#section-15.5.12",
        413 => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        414 => "https://tools.ietf.org/html/rfc9110#section-15.5.15",
        415 => "https://tools.ietf.org/html/rfc9110#section-15.5.16",
        429 => "https://tools.ietf.org/html/rfc6585#section-4",
        431 => "https://tools.ietf.org/html/rfc6585#section-5",
        500 => "https://tools.ietf.org/html/rfc9110#section-15.6.1",
        503 => "https://tools.ietf.org/html/rfc9110#section-15.6.4",
        505 => "https://tools.ietf.org/html/rfc9110#section-15.6.6",
        _ => null,
    };

    /// <summary>"max_tokens: must lie in 1..4096 (got 0). temperature: ...": every field's messages, the field first (the body's alone).</summary>
    private static string Message(IDictionary<string, string[]> errors) => string.Join(" ", errors.SelectMany(field =>
        field.Value.Select(message => field.Key == "body" ? message : $"{field.Key}: {message}")));
}
