namespace GqaService.Api.Errors;

/// <summary>The <c>error.type</c> values, and the code each status gets when its builder names none.</summary>
public static class OpenAiErrorTypes
{
    public const string InvalidRequest = "invalid_request_error";
    public const string Authentication = "authentication_error";
    public const string RateLimit = "rate_limit_error";
    public const string Server = "server_error";

    public static string ForStatus(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => Authentication,
        StatusCodes.Status429TooManyRequests => RateLimit,
        // An HTTP version the server does not speak is the client's to change, whatever its 5xx number says.
        StatusCodes.Status505HttpVersionNotsupported => InvalidRequest,
        >= 500 => Server,
        _ => InvalidRequest,
    };

    public static string DefaultCode(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "invalid_request",
        StatusCodes.Status401Unauthorized => "invalid_api_key",
        StatusCodes.Status404NotFound => "not_found",
        StatusCodes.Status405MethodNotAllowed => "method_not_allowed",
        StatusCodes.Status408RequestTimeout => "request_timeout",
        StatusCodes.Status409Conflict => "conflict",
        StatusCodes.Status411LengthRequired => "length_required",
        StatusCodes.Status413PayloadTooLarge => "request_too_large",
        StatusCodes.Status414UriTooLong => "uri_too_long",
        StatusCodes.Status415UnsupportedMediaType => "unsupported_media_type",
        StatusCodes.Status429TooManyRequests => "rate_limit_exceeded",
        StatusCodes.Status431RequestHeaderFieldsTooLarge => "headers_too_large",
        499 => "client_closed_request",
        StatusCodes.Status503ServiceUnavailable => "unavailable",
        StatusCodes.Status505HttpVersionNotsupported => "http_version_not_supported",
        >= 500 => "internal_error",
        _ => "invalid_request",
    };
}
