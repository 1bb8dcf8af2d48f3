using Microsoft.AspNetCore.Mvc;
using GqaService.Api.Generation;
using GqaService.Api.Hosting;
using GqaService.Api.Observability;
using GqaService.Inference.Engine;
using Microsoft.Extensions.Options;

namespace GqaService.Api.Endpoints;

/// <summary>What the generation handlers need, bound with [AsParameters] to keep their signatures short.</summary>
public sealed class GenerationServices([FromServices] IInferenceEngine engine, [FromServices] GenerationRunner runner,
    [FromServices] IChatTemplate chatTemplate, [FromServices] IOptionsMonitor<ApiOptions> options, [FromServices] ApiTelemetry telemetry)
{
    public IInferenceEngine Engine { get; } = engine;
    public GenerationRunner Runner { get; } = runner;
    public IChatTemplate ChatTemplate { get; } = chatTemplate;
    public IOptionsMonitor<ApiOptions> Options { get; } = options;
    public ApiTelemetry Telemetry { get; } = telemetry;
}
