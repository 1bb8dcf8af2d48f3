using Microsoft.AspNetCore.Mvc;
using GqaService.Api.Generation;
using GqaService.Api.Observability;
using GqaService.Inference.Engine;

namespace GqaService.Api.Endpoints;

/// <summary>What the generation handlers need, bound with [AsParameters] to keep their signatures short.</summary>
public sealed class GenerationServices([FromServices] IInferenceEngine engine, [FromServices] GenerationRunner runner,
    [FromServices] IChatTemplate chatTemplate, [FromServices] ApiTelemetry telemetry)
{
    public IInferenceEngine Engine { get; } = engine;
    public GenerationRunner Runner { get; } = runner;
    public IChatTemplate ChatTemplate { get; } = chatTemplate;
    public ApiTelemetry Telemetry { get; } = telemetry;
}
