using ChatOps.Core;
using ChatOps.Core.Alerts;
using ChatOps.Core.Observability;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Embedded;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatOps.Slack.Tests.Support;

/// <summary>
/// The Slack adapter in a real Kestrel host on loopback, with the embedded bus, state and a SQLite
/// store, talking to <see cref="FakeSlackApi"/>. Everything published on commands-topic is captured.
/// </summary>
public sealed class SlackTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _folder;
    private IAsyncDisposable? _capture;

    private SlackTestHost(WebApplication app, string folder, FakeSlackApi slack, CapturingLoggerProvider logs)
    {
        _app = app;
        _folder = folder;
        Slack = slack;
        Logs = logs;
    }

    public FakeSlackApi Slack { get; }
    public CapturingLoggerProvider Logs { get; }
    public HttpClient Http { get; private set; } = null!;
    public IServiceProvider Services => _app.Services;
    public Observed<Envelope> Published { get; } = new();

    public IReadOnlyList<CommandRequested> Requested =>
        Published.Snapshot.Where(e => e.Type == EventTypes.CommandRequested).Select(e => e.Read<CommandRequested>()).ToList();

    public static async Task<SlackTestHost> StartAsync(Action<SlackOptions>? configure = null, FakeSlackApi? slack = null)
    {
        slack ??= new FakeSlackApi();
        var folder = Directory.CreateTempSubdirectory("chatops-slack-").FullName;
        var logs = new CapturingLoggerProvider();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Services.AddSqliteStore(o => o.Path = Path.Combine(folder, "chatops.db"));
        builder.Services.AddInMemoryBus();
        builder.Services.AddInMemoryState();
        builder.Services.AddSqliteAccessStores();
        builder.Services.AddChatOpsCore();
        builder.Services.AddChatOpsAlerts();
        builder.Services.AddSingleton<ChatOpsMeter>();
        builder.Services.AddSlack(o =>
        {
            o.SigningSecret = SlackRequests.Secret;
            o.BotToken = "xoxb-test-token";
            o.ApiBaseUrl = slack.ApiBaseUrl;
            o.ChannelInterval = TimeSpan.Zero;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(5);
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
            configure?.Invoke(o);
        });
        var app = builder.Build();
        app.MapSlack();
        await app.StartAsync();

        var host = new SlackTestHost(app, folder, slack, logs);
        host.Http = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
        host._capture = await app.Services.GetRequiredService<IEventBus>().SubscribeAsync(Topics.Commands, "test-capture", (envelope, _) =>
        {
            host.Published.Add(envelope);
            return Task.CompletedTask;
        });
        await host.SeedUsersAsync();
        return host;
    }

    /// <summary>admin (via slack:U024BE7LH, as ChatOps:Bootstrap:Admins links it), alice and bob (operators), a viewer, carol (operator and approver), dave (approver).</summary>
    private async Task SeedUsersAsync()
    {
        var users = Services.GetRequiredService<IUserStore>();
        var now = DateTimeOffset.UtcNow;
        await AddUserAsync(users, "admin", "admin", Roles.Admin, $"slack:{SlackRequests.Admin}", now);
        await AddUserAsync(users, "alice", "Alice", Roles.Operator, $"slack:{SlackRequests.Team}/{SlackRequests.Alice}", now);
        await AddUserAsync(users, "bob", "Bob", Roles.Operator, $"slack:{SlackRequests.Team}/{SlackRequests.Bob}", now);
        await AddUserAsync(users, "vic", "Vic", Roles.Viewer, $"slack:{SlackRequests.Team}/{SlackRequests.Viewer}", now);
        await AddUserAsync(users, "carol", "Carol", [Roles.Operator, Roles.Approver], $"slack:{SlackRequests.Team}/{SlackRequests.Carol}", now);
        await AddUserAsync(users, "dave", "Dave", [Roles.Approver], $"slack:{SlackRequests.Team}/{SlackRequests.Dave}", now);
    }

    private static Task AddUserAsync(IUserStore users, string id, string name, string role, string identity, DateTimeOffset now) =>
        AddUserAsync(users, id, name, [role], identity, now);

    private static async Task AddUserAsync(IUserStore users, string id, string name, IReadOnlyList<string> roles, string identity, DateTimeOffset now)
    {
        await users.UpsertUserAsync(new User(id, name, roles, now));
        await users.LinkIdentityAsync(identity, id);
    }

    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        using (request) return await Http.SendAsync(request);
    }

    public async Task<(HttpResponseMessage Response, string Body, TimeSpan Took)> SendTimedAsync(HttpRequestMessage request)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var response = await SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return (response, body, started.Elapsed);
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        if (_capture is not null) await _capture.DisposeAsync();
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Slack.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; the temp folder is the OS's to clean.
        }
    }
}
