using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ChatOps.Core;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Embedded;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatOps.Teams.Tests.Support;

/// <summary>
/// A real Kestrel host with the ChatOps core on the embedded adapters and the Teams adapter, talking
/// to a <see cref="FakeBotFramework"/>. Records every command published on commands-topic and every
/// log line, so tests can prove what was (not) published and that refusals were logged.
/// </summary>
public sealed class TeamsHost : IAsyncLifetime
{
    public const string Tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    public const string AliceAad = "aaaaaaaa-0000-0000-0000-000000000001";   // operator, teams:{tenant}/{aad}
    public const string VicAad = "aaaaaaaa-0000-0000-0000-000000000002";     // viewer
    public const string RootAad = "aaaaaaaa-0000-0000-0000-000000000003";    // admin, linked as teams:{aad} (the bootstrap form)
    public const string BobAad = "aaaaaaaa-0000-0000-0000-000000000004";     // operator and approver
    public const string StrangerAad = "aaaaaaaa-0000-0000-0000-00000000dead"; // not mapped

    private readonly string _dataDir = Directory.CreateTempSubdirectory("chatops-teams-").FullName;
    private WebApplication _app = null!;

    public TestKey Key { get; } = new("key-1", "msteams");
    public TestKey SkypeOnlyKey { get; } = new("key-skype", "skype");
    public TestKey StrangerKey { get; } = new("key-1", "msteams");   // same kid as Key, another key pair
    public FakeBotFramework BotFramework { get; private set; } = null!;
    public LogSink Logs { get; } = new();
    public HttpClient Http { get; private set; } = null!;
    public IServiceProvider Services => _app.Services;

    public async Task InitializeAsync()
    {
        BotFramework = new FakeBotFramework(Key, SkypeOnlyKey);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders().AddProvider(Logs).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddSqliteStore(o => o.Path = Path.Combine(_dataDir, "chatops.db"));
        builder.Services.AddSqliteAccessStores();
        builder.Services.AddInMemoryBus();
        builder.Services.AddInMemoryState();
        builder.Services.AddChatOpsCore();
        builder.Services.AddTeams(BotFramework.Options(o => o.TenantId = Tenant));
        _app = builder.Build();
        _app.MapTeams();
        await _app.StartAsync();

        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Http = new HttpClient { BaseAddress = new Uri(address) };

        var users = _app.Services.GetRequiredService<IUserStore>();
        var now = DateTimeOffset.UtcNow;
        await users.UpsertUserAsync(new User("alice", "Alice", [Roles.Operator], now));
        await users.LinkIdentityAsync($"teams:{Tenant}/{AliceAad}", "alice");
        await users.UpsertUserAsync(new User("vic", "Vic", [Roles.Viewer], now));
        await users.LinkIdentityAsync($"teams:{Tenant}/{VicAad}", "vic");
        await users.UpsertUserAsync(new User("root", "Root", [Roles.Admin], now));
        await users.LinkIdentityAsync($"teams:{RootAad}", "root");
        await users.UpsertUserAsync(new User("bob", "Bob", [Roles.Operator, Roles.Approver], now));
        await users.LinkIdentityAsync($"teams:{Tenant}/{BobAad}", "bob");
    }

    /// <summary>A message activity as Teams sends it into a channel thread.</summary>
    public JsonObject Message(string conversationId, string activityId, string text, string aad = AliceAad, string? tenant = Tenant, string? serviceUrl = null, string name = "Alice Example") => new()
    {
        ["type"] = "message",
        ["id"] = activityId,
        ["timestamp"] = "2026-01-01T10:00:00.000Z",
        ["serviceUrl"] = serviceUrl ?? BotFramework.ServiceUrl,
        ["channelId"] = "msteams",
        ["from"] = new JsonObject { ["id"] = "29:1-user-" + aad, ["name"] = name, ["aadObjectId"] = aad },
        ["conversation"] = new JsonObject { ["id"] = conversationId, ["conversationType"] = "channel", ["tenantId"] = tenant, ["isGroup"] = true },
        ["recipient"] = new JsonObject { ["id"] = "28:" + FakeBotFramework.AppId, ["name"] = "ChatOps" },
        ["text"] = text,
        ["textFormat"] = "plain",
        ["entities"] = new JsonArray(new JsonObject { ["type"] = "clientInfo", ["locale"] = "en-US" }),
        ["channelData"] = new JsonObject
        {
            ["tenant"] = new JsonObject { ["id"] = tenant },
            ["channel"] = new JsonObject { ["id"] = "19:general@thread.tacv2" },
            ["futureField"] = new JsonObject { ["kept"] = true },
        },
        ["someFieldFromTheFuture"] = 42,
    };

    public string ValidToken(string? serviceUrl = null) =>
        Key.Sign(Jwt.Claims(FakeBotFramework.AppId, serviceUrl ?? BotFramework.ServiceUrl, DateTimeOffset.UtcNow));

    public Task<HttpResponseMessage> PostAsync(JsonObject activity, string? token) =>
        PostRawAsync(activity.ToJsonString(), token is null ? null : "Bearer " + token);

    public async Task<HttpResponseMessage> PostRawAsync(string body, string? authorization, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return await Http.SendAsync(request);
    }

    /// <summary>
    /// Everything published for <paramref name="conversationId"/> up to and including the request
    /// <paramref name="untilRequestId"/> (a later, valid message used as a barrier: the bus keeps
    /// per-key order, so whatever a refused request might have published would come before it).
    /// </summary>
    public async Task<IReadOnlyList<CommandRequested>> CollectRequestedAsync(string conversationId, string untilRequestId, int seconds = 10)
    {
        var bus = _app.Services.GetRequiredService<IEventBus>();
        var collected = new ConcurrentQueue<CommandRequested>();
        var barrier = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var subscription = await bus.SubscribeAsync(Topics.Commands, "collect-" + Guid.NewGuid().ToString("N"), (envelope, _) =>
        {
            if (envelope.Type != EventTypes.CommandRequested) return Task.CompletedTask;
            var requested = envelope.Read<CommandRequested>();
            if (requested.ReplyTo.Channel != conversationId) return Task.CompletedTask;
            collected.Enqueue(requested);
            if (requested.RequestId == untilRequestId) barrier.TrySetResult();
            return Task.CompletedTask;
        });
        await barrier.Task.WaitAsync(TimeSpan.FromSeconds(seconds));
        return collected.ToList();
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        BotFramework.Dispose();
        Key.Dispose();
        SkypeOnlyKey.Dispose();
        StrangerKey.Dispose();
        try { Directory.Delete(_dataDir, recursive: true); }
        catch (IOException) { /* a straggling SQLite handle; the temp folder is cleaned by the OS */ }
    }
}

/// <summary>Collects log lines so tests can assert that a refusal was logged.</summary>
public sealed class LogSink : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => _lines.ToList();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}");
    }
}
