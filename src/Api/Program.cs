using GqaService.Api.Cli;
using GqaService.Api.Endpoints;
using GqaService.Api.Hosting;
using GqaService.Api.Observability;
using GqaService.Inference;

if (args.Length > 0 && args[0] == "generate")
{
    return await GenerateCommand.RunAsync(args[1..]);
}

var serveArgs = CommandLineSwitches.ServeArguments(args);
// Startup failures become one line on stderr and exit code 1; SIGTERM drains the engine and exits 0 (ServerRunner).
return await ServerRunner.RunAsync(() => BuildServer(serveArgs));

static WebApplication BuildServer(string[] serveArgs)
{
    var builder = WebApplication.CreateBuilder(serveArgs);
    // --model / --tokenizer are short for Inference:ModelPath / Inference:TokenizerPath (also settable in appsettings.json or Inference__ModelPath).
    builder.Configuration.AddCommandLine(serveArgs, CommandLineSwitches.Mappings);
    builder.Services.AddInference(builder.Configuration);
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
    return app;
}

public partial class Program;
