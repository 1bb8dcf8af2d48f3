using Microsoft.AspNetCore.Mvc.Testing;

namespace GqaService.Api.Tests.Support;

/// <summary>
/// The shipped app with its real engine on the generated stories260K-shaped checkpoint (token-id prompts, no tokenizer),
/// on a real Kestrel port so the server's own limits answer too. One per test class (xunit class fixture).
/// </summary>
public class TinyEngineServer : IAsyncLifetime
{
    private readonly WebApplicationFactory<Program> _app;

    public TinyEngineServer() : this(new Dictionary<string, string?>())
    {
    }

    protected TinyEngineServer(IDictionary<string, string?> settings)
    {
        var all = new Dictionary<string, string?>(settings)
        {
            ["Inference:ModelPath"] = TinyCheckpoints.StoriesShaped,
            ["Inference:KvCacheMiB"] = "4",
            ["Api:MaxRequestBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        _app = TestApp.CreateReal(all);
    }

    public const int MaxBodyBytes = 65536;

    public string BaseUrl { get; private set; } = "";

    public HttpClient Client(string? key = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }
        return client;
    }

    public async Task InitializeAsync()
    {
        BaseUrl = TestApp.StartKestrel(_app);
        await RealModelTests.WaitUntilReadyAsync(_app.CreateClient());
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();
}
