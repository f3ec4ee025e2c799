using ChatOps.Tests.Shared;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ChatOps.Core;
using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Evaluation;
using ChatOps.Core.Alerts.Notifications;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Observability;
using ChatOps.Core.Ports;
using ChatOps.Embedded;
using ChatOps.Embedded.Sqlite;
using ChatOps.Teams.Internal;
using ChatOps.Teams.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ChatOps.Teams.Tests;

/// <summary>
/// Reliability test 22 for Teams, end to end through the alert path: 1,000 alerts fire within one
/// minute on one rule routed to one channel (then all recover in the next minute); the evaluator
/// publishes, the notifier opens a conversation per alert through <see cref="TeamsAlertChannel"/> and
/// the conversation queues, and the connector (WireMock) answers bursts of 429 with Retry-After, 412,
/// 502 and 504. In virtual time: the clock moves to the next due wait only while nothing is on the wire
/// and no sender woken by the clock is still on its way to it.
/// </summary>
public sealed partial class AlertBurstUnderThrottlingTests : IAsyncLifetime
{
    private const string Channel = "19:alerts@thread.tacv2";
    private const int Alerts = 1000;
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 4, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(60); // 1,000 in 59.94 s
    private static readonly TimeSpan RetryMin = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RetryMax = TimeSpan.FromSeconds(20);

    // Teams' per-bot, per-conversation limits for sends and new conversations, and the app-wide one.
    private static readonly (TimeSpan Window, int Max)[] ConversationLimits =
        [(TimeSpan.FromSeconds(1), 7), (TimeSpan.FromSeconds(2), 8), (TimeSpan.FromSeconds(30), 60)];

    private static readonly (TimeSpan Window, int Max) AppLimit = (TimeSpan.FromSeconds(1), 30);

    // A sender started by a handler (not woken by the clock) is not seen until it is on the wire, so the
    // clock may move in the instant between its slot and its call: a call or two can be stamped one step
    // late. Per conversation this cannot add a send (each sender counts its own calls when they are over);
    // across the app it can shift one into the next second. Without the app-wide pacer the figure is far above.
    private const int AppSkew = 2;

    private readonly string _folder = Directory.CreateTempSubdirectory("chatops-teams-burst-").FullName;
    private readonly ManualClock _clock = new(Start);
    private readonly ThrottlingConnector _connector;
    private readonly VirtualTimeWire _wire;
    private ServiceProvider _services = null!;
    private IAsyncDisposable? _subscription;
    private int _handled;

    public AlertBurstUnderThrottlingTests()
    {
        _connector = new ThrottlingConnector(_clock);
        _wire = new VirtualTimeWire(_clock);
    }

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(_clock);
        services.AddSingleton<Pause>(_wire);
        services.AddSqliteStore(o => o.Path = Path.Combine(_folder, "chatops.db"));
        services.AddInMemoryBus();
        services.AddInMemoryState();
        services.AddChatOpsCore();
        services.AddChatOpsAlerts();
        services.AddTeams(new TeamsOptions
        {
            AppId = FakeBotFramework.AppId,
            AppPassword = FakeBotFramework.AppPassword,
            OpenIdMetadataUrl = _connector.ServiceUrl + "v1/.well-known/openidconfiguration",
            TokenEndpoint = _connector.TokenEndpoint,
            AlertChannelId = Channel,
            RetryMinDelay = RetryMin,
            RetryMaxDelay = RetryMax,
            MaxAttempts = 8,
        });
        // The adapter's client, counted on the wire (registered last, so it is the one resolved).
        services.AddSingleton(new TeamsHttp(new HttpClient(_wire.Handler()) { Timeout = Timeout.InfiniteTimeSpan }));
        _services = services.BuildServiceProvider();
        _services.GetRequiredService<TeamsOptions>().ServiceUrl = _connector.ServiceUrl;
        _services.GetRequiredService<ServiceUrls>().RememberValidated(_connector.ServiceUrl);
        // Only the schema: other hosted services would add housekeeping timers of their own.
        foreach (var migration in _services.GetServices<IHostedService>().OfType<SqliteMigrationHostedService>())
            await migration.StartAsync(CancellationToken.None);

        _services.GetRequiredService<AlertRuleSet>().SetFileContent([Rule], []);
        var notifier = _services.GetRequiredService<AlertNotifier>();
        _subscription = await _services.GetRequiredService<IEventBus>().SubscribeAsync(Topics.Alerts, AlertNotifier.ConsumerGroup, async (envelope, token) =>
        {
            await notifier.HandleAsync(envelope, token);
            Interlocked.Increment(ref _handled);
            _clock.Pulse();
        });
    }

    public async Task DisposeAsync()
    {
        if (_subscription is not null) await _subscription.DisposeAsync();
        // Shutting down gives queued messages a few seconds on the clock: move it while anything waits.
        await _clock.RunOutAsync(_services.DisposeAsync().AsTask());
        _connector.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; the temp folder is the OS's to clean.
        }
    }

    private static AlertRule Rule => new()
    {
        Name = "cpu-burst",
        Metric = MetricNames.CpuPercent,
        Target = "*",
        Comparator = AlertComparator.GreaterThan,
        Threshold = 90,
        Severity = AlertSeverity.Critical,
        Routes = [new AlertRoute("teams", TeamsAlertChannel.DefaultChannel)],
    };

    private static string Server(int i) => $"srv-{i:D4}";

    [Fact]
    public async Task A_thousand_alerts_in_a_minute_are_each_announced_once_updated_and_resolved_under_teams_limits()
    {
        var calls = 0;
        _connector.Fault = _ => (Interlocked.Increment(ref calls) % 50) switch
        {
            // Every 50 calls: two 429s in a row (Retry-After 2 s), a 412, a 502, and two 504s in a row.
            10 or 11 => new ConnectorFault(429, "2"),
            20 => new ConnectorFault(412),
            30 => new ConnectorFault(502),
            40 or 41 => new ConnectorFault(504),
            _ => null,
        };

        var evaluator = _services.GetRequiredService<AlertEvaluator>();
        var acts = Enumerable.Range(0, Alerts).Select(i => new Act(Start + (i * Spacing), Server(i), 97))
            .Concat(Enumerable.Range(0, Alerts).Select(i => new Act(Start + TimeSpan.FromMinutes(1) + (i * Spacing), Server(i), 10)))
            .ToList();
        await RunInVirtualTimeAsync(acts, act => evaluator.EvaluateAsync(
            new MetricSnapshot(act.Server, _clock.GetUtcNow(), [new MetricSample(MetricNames.CpuPercent, new Dictionary<string, string>(), act.Cpu)]), CancellationToken.None));

        var all = _connector.Calls.OrderBy(c => c.At).ToList();
        Assert.Empty(await _services.GetRequiredService<IAlertStore>().ListActiveAsync());

        // 0 lost, 0 visible duplicates: one conversation per alert, its resolved reply once, its card resolved.
        var creates = all.Where(c => c is { Method: "POST", Path: "/v3/conversations", Delivered: true }).ToList();
        var createdFor = creates.Select(c => ServerId().Match(c.Body!.ToJsonString()).Value).ToList();
        Assert.Equal(Enumerable.Range(0, Alerts).Select(Server), createdFor.Order());
        var conversations = Enumerable.Range(1, Alerts).Select(n => $"19:alert{n}@thread.tacv2;messageid={n}").ToList();
        foreach (var conversation in conversations)
        {
            var delivered = all.Where(c => c.Delivered && c.Path.StartsWith($"/v3/conversations/{conversation}/", StringComparison.Ordinal)).ToList();
            var reply = Assert.Single(delivered, c => c.Method == "POST");
            Assert.Contains("resolved (recovered)", (string?)reply.Body!["text"]);
            var card = delivered.Last(c => c.Method == "PUT");
            Assert.Equal("resolved", Facts(card.Body!["attachments"]![0]!["content"]!)["State"]);
        }

        // Drained: every event was handled, the bus has no lag.
        Assert.Equal(2 * Alerts, Volatile.Read(ref _handled));
        var lag = ((IConsumerLagSource)_services.GetRequiredService<IEventBus>()).ReadConsumerLag();
        Assert.All(lag.Where(l => l.Group == AlertNotifier.ConsumerGroup), l => Assert.Equal(0, l.Lag));

        // Limits, on what Teams accepted: per conversation (new threads count against the channel), and for the app.
        foreach (var conversation in all.Where(c => c.Delivered).GroupBy(c => c.Conversation))
        {
            var times = conversation.Select(c => c.At).ToList();
            foreach (var (window, max) in ConversationLimits)
            {
                var busiest = Busiest(times, window);
                Assert.True(busiest <= max, $"{busiest} sends into {conversation.Key} within {window.TotalSeconds} s (limit {max})");
            }
        }

        var accepted = all.Where(c => c.Delivered).ToList();
        var appBusiest = Busiest(accepted.Select(c => c.At).ToList(), AppLimit.Window);
        Assert.True(appBusiest <= AppLimit.Max + AppSkew, $"{appBusiest} sends by the app within 1 s (limit {AppLimit.Max}, +{AppSkew} for the clock): "
            + string.Join("; ", accepted.Where(c => accepted.Count(d => d.At >= c.At && d.At - c.At < AppLimit.Window) >= appBusiest).Take(1)
                .SelectMany(first => accepted.Where(d => d.At >= first.At && d.At - first.At < AppLimit.Window))
                .Select(c => $"{(c.At - Start).TotalSeconds:0.000} {c.Method} {c.Path[..Math.Min(c.Path.Length, 40)]}")));

        // Each retry is the next call on its conversation: after a 429 at least Retry-After later, after
        // 412/502/504 exponential backoff with ±20 % jitter (2 s, then 4 s for the second in a row), to which
        // the wait for an app-wide send slot may add.
        var byConversation = all.GroupBy(c => c.Conversation).ToDictionary(g => g.Key, g => g.ToList());
        var throttled = 0;
        var backoffs = new List<TimeSpan>();
        var secondBackoffs = new List<TimeSpan>();
        foreach (var (_, sequence) in byConversation)
        {
            for (var i = 0; i + 1 < sequence.Count; i++)
            {
                var (call, next) = (sequence[i], sequence[i + 1]);
                var gap = next.At - call.At;
                if (call.Status == 429)
                {
                    throttled++;
                    Assert.True(gap >= TimeSpan.FromSeconds(2), $"retried {gap.TotalSeconds} s after a 429 asking for 2 s");
                }
                else if (call.Status is 412 or 502 or 504)
                {
                    // Every failed attempt of the same call counts (a 429 too), as the client counts them.
                    var attempt = 1;
                    // The same call: same method, path and body (two replies into one conversation share a path).
                    while (i - attempt >= 0 && sequence[i - attempt] is { Delivered: false } earlier && earlier.Path == call.Path && earlier.Method == call.Method
                           && earlier.Body?.ToJsonString() == call.Body?.ToJsonString()) attempt++;
                    // Doubling from RetryMinDelay, capped at RetryMaxDelay.
                    var doubled = RetryMin * Math.Pow(2, attempt - 1);
                    var nominal = doubled < RetryMax ? doubled : RetryMax;
                    Assert.True(gap >= nominal * 0.8, $"retry {attempt} came {gap.TotalSeconds} s after a {call.Status} (expected {nominal.TotalSeconds} s - 20 % at least)");
                    if (attempt == 1) backoffs.Add(gap);
                    else if (attempt == 2) secondBackoffs.Add(gap);
                }
            }
        }

        Assert.True(throttled >= 2 * 40, $"only {throttled} 429s were answered");
        Assert.True(backoffs.Count >= 3 * 40, $"only {backoffs.Count} first retries after 412/502/504");
        Assert.True(backoffs.Distinct().Count() > backoffs.Count / 2, "the backoff has no jitter");
        // Most retries find a free slot at once: their gaps show the backoff itself.
        Assert.True(backoffs.Count(g => g <= RetryMin * 1.2) > backoffs.Count / 2, "first retries mostly came later than 2 s + 20 %");
        Assert.True(secondBackoffs.Count > 0 && secondBackoffs.Count(g => g <= RetryMin * 2 * 1.2) > secondBackoffs.Count / 2, "second retries are not about 4 s");
    }

    /// <summary>
    /// Runs <paramref name="acts"/> at their times, moving the clock only while the wire is quiet: to the
    /// next due wait, or to the next act if it comes first. Returns once every act ran and all work is done.
    /// </summary>
    private async Task RunInVirtualTimeAsync(IReadOnlyList<Act> acts, Func<Act, Task> run)
    {
        // A conversation's sender retires after 5 idle minutes: that wait parks nothing.
        var idleRetirement = TimeSpan.FromMinutes(5);
        var next = 0;
        while (true)
        {
            var (pending, changed) = _clock.Snapshot();
            var waits = pending.Where(t => t.Length != idleRetirement).Select(t => t.DueAt).ToList();
            var quiet = _wire.Quiet;
            var idle = quiet && waits.Count == 0 && Volatile.Read(ref _handled) == next;
            if (idle && next == acts.Count) return;

            var nextWait = quiet && waits.Count > 0 ? waits.Min() : (DateTimeOffset?)null;
            if ((idle || nextWait is not null) && next < acts.Count && (nextWait is null || acts[next].At <= nextWait))
            {
                _clock.AdvanceTo(acts[next].At);
                await run(acts[next]);
                next++;
                continue;
            }

            if (nextWait is { } due)
            {
                _clock.AdvanceTo(due);
                continue;
            }

            try
            {
                await changed.WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                Assert.Fail($"stalled at {_clock.GetUtcNow() - Start} after {next} of {acts.Count} acts: {Volatile.Read(ref _handled)} events handled, "
                            + $"wire quiet: {_wire.Quiet}, timers pending: {string.Join(", ", pending.Select(t => t.Length))}");
            }
        }
    }

    private static int Busiest(List<DateTimeOffset> times, TimeSpan window)
    {
        var busiest = 0;
        for (int first = 0, last = 0; last < times.Count; last++)
        {
            while (times[last] - times[first] >= window) first++;
            busiest = Math.Max(busiest, last - first + 1);
        }

        return busiest;
    }

    private static Dictionary<string, string> Facts(JsonNode card) =>
        card["body"]!.AsArray().Where(b => (string?)b!["type"] == "FactSet").SelectMany(b => b!["facts"]!.AsArray())
            .ToDictionary(f => (string)f!["title"]!, f => (string)f!["value"]!);

    /// <summary>A metrics sample of one server at a moment of the run.</summary>
    private readonly record struct Act(DateTimeOffset At, string Server, double Cpu);

    [GeneratedRegex(@"srv-\d{4}")]
    private static partial Regex ServerId();
}
