namespace ChatOps.Benchmarks;

/// <summary>The baseline: a bare ASP.NET Core endpoint on loopback answering a small JSON body.</summary>
public sealed class BareEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BareEndpoint(WebApplication app, int port)
    {
        _app = app;
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    public HttpClient Http { get; }

    public static async Task<BareEndpoint> StartAsync()
    {
        var port = BenchServer.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.MapPost("/bare", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            await reader.ReadToEndAsync();
            return Results.Text("""{"text":"ok"}""", "application/json");
        });
        app.MapGet("/bare", () => Results.Text("""{"status":"ok"}""", "application/json"));
        // Enough of Slack's Web API for the Slack scenario: every method answers ok at once.
        var ts = 0L;
        app.MapPost("/slack-api/{method}", (string method) =>
            Results.Text($$"""{"ok":true,"channel":"CBENCH","ts":"1700000000.{{Interlocked.Increment(ref ts):D6}}"}""", "application/json"));
        await app.StartAsync();
        return new BareEndpoint(app, port);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.DisposeAsync();
    }
}
