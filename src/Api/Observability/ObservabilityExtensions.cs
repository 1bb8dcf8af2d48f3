using GqaService.Api.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace GqaService.Api.Observability;

public static class ObservabilityExtensions
{
    /// <summary>
    /// Serilog to the console (compact JSON when Serilog:Json is true), ASP.NET's per-request noise at Warning, and OpenTelemetry:
    /// traces and metrics, scraped at /metrics, pushed over OTLP only when an endpoint is configured.
    /// </summary>
    public static WebApplicationBuilder AddApiObservability(this WebApplicationBuilder builder)
    {
        builder.Services.AddSerilog((services, logger) =>
        {
            var configuration = services.GetRequiredService<IConfiguration>();
            logger.MinimumLevel.Information()
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
                .ReadFrom.Configuration(configuration)
                .Enrich.FromLogContext()
                .Filter.ByExcluding(ServerRunner.IsHostReportOfFailure);
            if (configuration.GetValue<bool>("Serilog:Json"))
            {
                logger.WriteTo.Console(new RenderedCompactJsonFormatter());
            }
            else
            {
                logger.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}");
            }
        }, preserveStaticLogger: true);

        builder.Services.AddSingleton<ApiTelemetry>();
        builder.Services.AddSingleton<StartupSummaryService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<StartupSummaryService>());
        var otlpEndpoint = builder.Configuration[$"{ApiOptions.SectionName}:Otlp:Endpoint"];
        var otlpEnabled = !string.IsNullOrEmpty(otlpEndpoint) || !string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("GqaService"))
            .WithTracing(tracing =>
            {
                tracing.AddSource(ApiTelemetry.SourceName).AddAspNetCoreInstrumentation();
                if (builder.Configuration.GetValue<bool?>("Inference:StepSpans") ?? otlpEnabled)
                {
                    tracing.AddSource(ApiTelemetry.EngineMeterName);
                }
                if (otlpEnabled)
                {
                    tracing.AddOtlpExporter(o => ApplyEndpoint(o, otlpEndpoint));
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ApiTelemetry.SourceName, ApiTelemetry.EngineMeterName)
                    .AddLatencyViews()
                    .AddAspNetCoreInstrumentation()
                    .AddPrometheusExporter();
                if (otlpEnabled)
                {
                    metrics.AddOtlpExporter(o => ApplyEndpoint(o, otlpEndpoint));
                }
            });
        return builder;
    }

    private static void ApplyEndpoint(OpenTelemetry.Exporter.OtlpExporterOptions options, string? endpoint)
    {
        // Without Api:Otlp:Endpoint the exporter reads OTEL_EXPORTER_OTLP_ENDPOINT itself.
        if (!string.IsNullOrEmpty(endpoint))
        {
            options.Endpoint = new Uri(endpoint);
        }
    }
}
