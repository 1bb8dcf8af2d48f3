using GqaService.Api.Cli;
using GqaService.Api.Endpoints;
using GqaService.Api.Errors;
using GqaService.Api.Hosting;
using GqaService.Api.Observability;
using GqaService.Inference;

// Parsing and dispatch (help, version, usage errors: exit 2) are GqaCommandLine's; the server's run and exit code
// (startup failures: one line, exit 1; SIGTERM drains and exits 0) are ServerRunner's.
return await GqaCommandLine.InvokeAsync(args, settings => ServerRunner.RunAsync(() => BuildServer(settings)));

// The HTTP host, configured by appsettings.json, the environment and the command line's settings (which win).
static WebApplication BuildServer(ServeSettings settings)
{
    // appsettings.json is read from beside the application, wherever it is started from (the test host names its own root).
    string[] hostArguments = settings.HostArguments.Any(a => a.StartsWith("--contentRoot=", StringComparison.OrdinalIgnoreCase))
        ? [.. settings.HostArguments]
        : [$"--contentRoot={AppContext.BaseDirectory}", .. settings.HostArguments];
    var builder = WebApplication.CreateBuilder(hostArguments);
    builder.Configuration.AddInMemoryCollection(settings.Configuration);
    builder.WebHost.ConfigureKestrel(kestrel => kestrel.UseProblemBodiesForRejections());
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
    app.MapTokenizer();
    app.MapUi();
    return app;
}

public partial class Program;
