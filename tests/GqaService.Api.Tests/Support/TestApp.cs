using GqaService.Inference.Engine;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace GqaService.Api.Tests.Support;

/// <summary>Builds the real app (Program) around a fake engine, with configuration overrides.</summary>
internal static class TestApp
{
    public static WebApplicationFactory<Program> Create(FakeInferenceEngine engine, IDictionary<string, string?>? settings = null) =>
        Configure(new WebApplicationFactory<Program>(), settings, services =>
        {
            services.RemoveAll<IInferenceEngine>();
            // The engine's own hosted services (model loading, the inference thread) must not start beside the fake.
            var inference = typeof(IInferenceEngine).Assembly;
            foreach (var hosted in services.Where(d => d.ServiceType == typeof(IHostedService)
                && (d.ImplementationType?.Assembly == inference || d.ImplementationFactory?.Method.DeclaringType?.Assembly == inference)).ToList())
            {
                services.Remove(hosted);
            }
            services.AddSingleton<IInferenceEngine>(engine);
        });

    /// <summary>The app as shipped (real engine from AddInference), only configuration changed.</summary>
    public static WebApplicationFactory<Program> CreateReal(IDictionary<string, string?> settings) =>
        Configure(new WebApplicationFactory<Program>(), settings, _ => { });

    /// <summary>Switches the factory to Kestrel on a free loopback port and returns the base address (no trailing slash).</summary>
    public static string StartKestrel(WebApplicationFactory<Program> factory)
    {
        factory.UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        factory.StartServer();
        var addresses = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return addresses.First().TrimEnd('/');
    }

    private static WebApplicationFactory<Program> Configure(WebApplicationFactory<Program> factory, IDictionary<string, string?>? settings,
        Action<IServiceCollection> services) =>
        factory.WithWebHostBuilder(web =>
        {
            web.UseSetting("Serilog:MinimumLevel:Default", "Warning");
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                web.UseSetting(key, value);
            }
            web.ConfigureTestServices(services);
        });
}
