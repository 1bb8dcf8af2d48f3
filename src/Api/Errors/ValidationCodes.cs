namespace GqaService.Api.Errors;

/// <summary>The <c>error.code</c> of a 400, as OpenAI names them.</summary>
public static class ValidationCodes
{
    public const string InvalidValue = "invalid_value";
    public const string InvalidType = "invalid_type";
    public const string InvalidJson = "invalid_json";
    public const string MissingRequired = "missing_required_parameter";
    public const string UnsupportedParameter = "unsupported_parameter";
}
