using GqaService.Api.Cli;
using GqaService.Inference;
using GqaService.Inference.Native;

if (args.Length > 0 && args[0] == "generate")
{
    return await GenerateCommand.RunAsync(args[1..]);
}

var builder = WebApplication.CreateBuilder(args.Length > 0 && args[0] == "serve" ? args[1..] : args);
builder.Services.AddInference(builder.Configuration);
var app = builder.Build();
app.Logger.LogInformation("{TorchNatives}", TorchNativeCompatibility.EnsureLoadable());
var instanceId = builder.Configuration["Service:InstanceId"] ?? Environment.MachineName;
app.Use(async (context, next) =>
{
    // Lets a reverse proxy's session affinity be observed from outside.
    context.Response.Headers["X-Served-By"] = instanceId;
    await next(context);
});
app.MapGet("/health/live", () => Results.Ok(new { status = "live" }));
app.Run();
return 0;

public partial class Program;
