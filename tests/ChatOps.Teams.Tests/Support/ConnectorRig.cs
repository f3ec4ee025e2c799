using System.Collections.Concurrent;
using ChatOps.Core.Domain;
using ChatOps.Core.Observability;
using ChatOps.Teams.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Teams.Tests.Support;

/// <summary>Records every wait of the outbound path and moves the fake clock by it instead of sleeping.</summary>
internal sealed class RecordingPause(FakeTimeProvider time) : Pause(time)
{
    private readonly ConcurrentQueue<(TimeSpan Delay, PauseReason Reason)> _waits = new();

    public IReadOnlyList<(TimeSpan Delay, PauseReason Reason)> Waits => _waits.ToList();

    public override Task ForAsync(TimeSpan delay, PauseReason reason, CancellationToken cancellationToken)
    {
        _waits.Enqueue((delay, reason));
        time.Advance(delay);
        return Task.CompletedTask;
    }
}

/// <summary>The outbound half of the adapter (connector, outbox, chat client) on a fake clock, against a <see cref="FakeBotFramework"/>.</summary>
internal sealed class ConnectorRig : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public ConnectorRig(Action<TeamsOptions>? configure = null)
    {
        BotFramework = new FakeBotFramework();
        Time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        Pause = new RecordingPause(Time);
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(Logs));
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton<Pause>(Pause);
        services.AddSingleton(Meter);
        services.AddTeams(BotFramework.Options(o =>
        {
            o.RetryMinDelay = TimeSpan.FromSeconds(2);
            o.RetryMaxDelay = TimeSpan.FromSeconds(20);
            o.MaxAttempts = 5;
            configure?.Invoke(o);
        }));
        _services = services.BuildServiceProvider();
        // As if an activity from the fake had been validated.
        ServiceUrls.RememberValidated(BotFramework.ServiceUrl);
    }

    public FakeBotFramework BotFramework { get; }
    public ChatOpsMeter Meter { get; } = new();
    public FakeTimeProvider Time { get; }
    public RecordingPause Pause { get; }
    public LogSink Logs { get; } = new();
    public TeamsConnectorClient Connector => _services.GetRequiredService<TeamsConnectorClient>();
    public TeamsChatClient Chat => _services.GetRequiredService<TeamsChatClient>();
    public ServiceUrls ServiceUrls => _services.GetRequiredService<ServiceUrls>();
    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public ChatRef Thread(string conversationId, string? rootActivityId = null, string requestId = "req1", string replyTo = "user-msg-1")
    {
        var extra = new Dictionary<string, string>
        {
            [TeamsChatClient.ServiceUrlKey] = BotFramework.ServiceUrl,
            [TeamsChatClient.RequestIdKey] = requestId,
            [TeamsChatClient.BotIdKey] = "28:" + FakeBotFramework.AppId,
        };
        if (rootActivityId is not null) extra[TeamsChatClient.RootActivityIdKey] = rootActivityId;
        return new ChatRef(TeamsChatClient.PlatformName, conversationId, replyTo, extra);
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        Meter.Dispose();
        BotFramework.Dispose();
    }
}
