using GqaService.Api.Cli;
using GqaService.Api.Endpoints;
using GqaService.Api.Hosting;
using GqaService.Api.Observability;
using GqaService.Inference;

return await GqaCommandLine.InvokeAsync(args, RunHostAsync);

// The HTTP host: everything the serve command (or no command) runs, configured by appsettings.json, the environment and
// the command line's settings (which win).
static async Task<int> RunHostAsync(ServeSettings settings)
{
    // appsettings.json is read from beside the application, wherever it is started from (the test host names its own root).
    string[] hostArguments = settings.HostArguments.Any(a => a.StartsWith("--contentRoot=", StringComparison.OrdinalIgnoreCase))
        ? [.. settings.HostArguments]
        : [$"--contentRoot={AppContext.BaseDirectory}", .. settings.HostArguments];
    var builder = WebApplication.CreateBuilder(hostArguments);
    builder.Configuration.AddInMemoryCollection(settings.Configuration);
    builder.Services.AddInference(builder.Configuration);
    builder.Services.ResolveEnginePaths(builder.Configuration);
    builder.Services.AddApi();
    builder.Services.AddApiSwagger();
    builder.AddApiObservability();

    var app = builder.Build();
    var instanceId = builder.Configuration["Service:InstanceId"] ?? Environment.MachineName;
    app.Use(async (context, next) =>
    {
        // Lets a reverse proxy's session affinity be observed from outside.
        context.Response.Headers["X-Served-By"] = instanceId;
        await next(context);
    });
    app.UseApi();
    app.MapApiSwagger();
    app.MapHealth();
    app.MapPrometheusScrapingEndpoint("/metrics");
    app.MapV1();
    await app.RunAsync();
    return 0;
}

public partial class Program;
