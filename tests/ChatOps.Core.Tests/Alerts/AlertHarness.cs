using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Evaluation;
using ChatOps.Core.Alerts.Notifications;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Chat;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Core.Tests.Alerts;

/// <summary>
/// Alerting wired as in the server on the embedded adapters (in-process bus, a temporary SQLite
/// file) with a fake clock and a recording chat channel. <see cref="RestartAsync"/> replaces every
/// service by a new instance over the same database and clock, like a process restart.
/// </summary>
internal sealed class AlertHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    public static readonly Requester Operator = new("op", "apikey:k-op", "olivia");
    public static readonly Requester Viewer = new("viewer", "apikey:k-viewer", "victor");
    public static readonly AlertRoute Route = new(RecordingAlertChannel.PlatformName, "ops");

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"chatops-alerts-{Guid.NewGuid():N}.db");
    private readonly Action<AlertOptions>? _configure;
    private readonly List<IAsyncDisposable> _subscriptions = [];
    private ServiceProvider _provider = null!;
    private IReadOnlyList<AlertRule> _rules = [];

    private AlertHarness(Action<AlertOptions>? configure) => _configure = configure;

    public FakeTimeProvider Time { get; } = new(Start);
    public RecordingAlertChannel Channel { get; } = new();

    /// <summary>What a plain consumer of alerts-topic saw (all instances, across restarts).</summary>
    public AlertEventLog Events { get; } = new();

    /// <summary>What the notifier finished handling.</summary>
    public AlertEventLog Notified { get; } = new();

    public IServiceProvider Services => _provider;
    public AlertEvaluator Evaluator => _provider.GetRequiredService<AlertEvaluator>();
    public IAlertStore Alerts => _provider.GetRequiredService<IAlertStore>();
    public IEventBus Bus => _provider.GetRequiredService<IEventBus>();

    public static async Task<AlertHarness> StartAsync(Action<AlertOptions>? configure = null, params AlertRule[] rules)
    {
        var harness = new AlertHarness(configure) { _rules = rules };
        await harness.BuildAsync(seed: true);
        return harness;
    }

    /// <summary>A simple threshold rule on cpu_percent routed to the recording channel.</summary>
    public static AlertRule CpuRule(double threshold = 90, TimeSpan? @for = null, string target = "web-1") => new()
    {
        Name = "cpu-high",
        Metric = MetricNames.CpuPercent,
        Target = target,
        Comparator = AlertComparator.GreaterThan,
        Threshold = threshold,
        For = @for ?? TimeSpan.Zero,
        Severity = AlertSeverity.Critical,
        Routes = [Route],
        Runbook = "restart {server} nginx",
    };

    public void UseRules(params AlertRule[] rules)
    {
        _rules = rules;
        _provider.GetRequiredService<AlertRuleSet>().SetFileContent(rules, []);
    }

    public Task ReportAsync(string serverId, string metric, double value, IReadOnlyDictionary<string, string>? labels = null) =>
        Evaluator.EvaluateAsync(new MetricSnapshot(serverId, Time.GetUtcNow(), [new MetricSample(metric, labels ?? new Dictionary<string, string>(), value)]), CancellationToken.None);

    public Task ReportCpuAsync(double value, string serverId = "web-1") => ReportAsync(serverId, MetricNames.CpuPercent, value);

    public Task TickAsync() => Evaluator.TickAsync(CancellationToken.None);

    public async Task AdvanceAsync(TimeSpan by)
    {
        Time.Advance(by);
        await TickAsync();
    }

    /// <summary>The active alert with this fingerprint (asserts there is one).</summary>
    public async Task<AlertRecord> ActiveAsync(string rule = "cpu-high", string serverId = "web-1", IReadOnlyDictionary<string, string>? labels = null)
    {
        var alert = await Alerts.FindActiveAsync(AlertFingerprint.Of(rule, serverId, labels));
        Assert.True(alert is not null, $"no active alert {rule} on {serverId}");
        return alert;
    }

    /// <summary>Types <paramref name="text"/> in chat; returns the immediate answer.</summary>
    public async Task<string> SayAsync(string text, Requester? who = null)
    {
        var intake = _provider.GetRequiredService<CommandIntake>();
        var reply = await intake.HandleAsync(new IntakeRequest(who ?? Operator, new ChatRef("test-chat", "c1", "t1"), text));
        return reply.Text;
    }

    /// <summary>Waits until the event log and the notifier have handled everything published so far for <paramref name="fingerprint"/>.</summary>
    public async Task SettleAsync(string fingerprint)
    {
        var marker = AlertEventLog.NewMarker(fingerprint, Time.GetUtcNow());
        var seen = Events.Expect(marker);
        var notified = Notified.Expect(marker);
        await Bus.PublishAsync(Topics.Alerts, marker);
        await Task.WhenAll(seen, notified).WaitAsync(TimeSpan.FromSeconds(10));
    }

    public Task SettleAsync(AlertRecord alert) => SettleAsync(alert.Fingerprint);

    public IReadOnlyList<Envelope> EventsOf(string type, string? alertId = null) =>
        Events.OfType(type).Where(e => alertId is null || e.Payload.GetProperty("alert").GetProperty("id").GetString() == alertId).ToList();

    /// <summary>Stops every service and starts new ones on the same database and clock (state in memory is lost).</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await BuildAsync(seed: false);
    }

    private async Task BuildAsync(bool seed)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(Time);
        services.AddSqliteStore(o => o.Path = _path);
        services.AddInMemoryBus();
        services.AddInMemoryState();
        services.AddChatOpsCore();
        services.Configure<AlertOptions>(o => _configure?.Invoke(o));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAlertChannel>(Channel));
        _provider = services.BuildServiceProvider();
        foreach (var hosted in _provider.GetServices<IHostedService>()) await hosted.StartAsync(CancellationToken.None);

        if (seed) await SeedAsync();
        _provider.GetRequiredService<AlertRuleSet>().SetFileContent(_rules, []);
        _subscriptions.Add(await Bus.SubscribeAsync(Topics.Alerts, "test-events", Events.RecordAsync));
        _subscriptions.Add(await SubscribeNotifierAsync(_provider.GetRequiredService<AlertNotifier>()));
    }

    /// <summary>Joins <paramref name="notifier"/> to the notifier group; what it handles counts for <see cref="SettleAsync(string)"/>.</summary>
    public Task<IAsyncDisposable> SubscribeNotifierAsync(AlertNotifier notifier) =>
        Bus.SubscribeAsync(Topics.Alerts, AlertNotifier.ConsumerGroup, async (envelope, token) =>
        {
            await notifier.HandleAsync(envelope, token);
            await Notified.RecordAsync(envelope, token);
        });

    private async Task SeedAsync()
    {
        var users = _provider.GetRequiredService<IUserStore>();
        await users.UpsertUserAsync(new User("op", "olivia", [Roles.Operator], Start));
        await users.UpsertUserAsync(new User("viewer", "victor", [Roles.Viewer], Start));
        var servers = _provider.GetRequiredService<IServerStore>();
        await servers.UpsertAsync(new Server("web-1", null, ["role:web"], Start));
        await servers.UpsertAsync(new Server("web-2", null, ["role:web"], Start));
        await servers.UpsertAsync(new Server("db-1", null, ["role:db"], Start));
    }

    private async Task StopAsync()
    {
        foreach (var subscription in _subscriptions) await subscription.DisposeAsync();
        _subscriptions.Clear();
        await _provider.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" })
            File.Delete(file);
    }
}
