using GqaService.Inference.Native;

var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.Logger.LogInformation("{TorchNatives}", TorchNativeCompatibility.EnsureLoadable());
app.MapGet("/health/live", () => Results.Ok(new { status = "live" }));
app.Run();

public partial class Program;
