namespace GqaService.Api.Hosting;

public sealed class OtlpOptions
{
    /// <summary>OTLP collector address; OTEL_EXPORTER_OTLP_ENDPOINT works too. Unset turns the OTLP exporter off.</summary>
    public string? Endpoint { get; set; }
}
