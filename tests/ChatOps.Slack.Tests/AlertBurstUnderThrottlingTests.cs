using ChatOps.Tests.Shared;
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
using ChatOps.Slack.Internal;
using ChatOps.Slack.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ChatOps.Slack.Tests;

/// <summary>
/// Reliability test 22 for Slack, end to end through the alert path: 1,000 alerts fire within one
/// minute on one rule routed to one channel (then all recover in the next minute), the evaluator
/// publishes, the notifier announces through <see cref="SlackAlertChannel"/> and the channel's outbound
/// queue, and Slack (WireMock) answers bursts of 429 with Retry-After and of 503. Everything runs in
/// virtual time: the clock moves to the next due timer only while the channel's sender is parked on it.
/// </summary>
public sealed partial class AlertBurstUnderThrottlingTests : IAsyncLifetime
{
    private const string Channel = "C0BURST01";
    private const int Alerts = 1000;
    private const int RootBurst = 3;
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 4, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(60); // 1,000 in 59.94 s
    private static readonly TimeSpan ChannelInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RetryBase = TimeSpan.FromMilliseconds(500);
    // An odd length no other timer has: a pending timer of this length is a call in flight.
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromMinutes(17);

    private readonly string _folder = Directory.CreateTempSubdirectory("chatops-alert-burst-").FullName;
    private readonly ManualClock _clock = new(Start);
    private readonly FakeSlackApi _slack = new();
    private ServiceProvider _services = null!;
    private IAsyncDisposable? _subscription;
    private int _handled;

    public async Task InitializeAsync()
    {
        _slack.Clock = _clock;
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(_clock);
        services.AddSqliteStore(o => o.Path = Path.Combine(_folder, "chatops.db"));
        services.AddInMemoryBus();
        services.AddInMemoryState();
        services.AddChatOpsCore();
        services.AddChatOpsAlerts();
        services.AddSlack(o =>
        {
            o.SigningSecret = SlackRequests.Secret;
            o.BotToken = "xoxb-test-token";
            o.ApiBaseUrl = _slack.ApiBaseUrl;
            o.ChannelInterval = ChannelInterval;
            o.RootBurst = RootBurst;
            o.RetryBaseDelay = RetryBase;
            o.MaxRetryDelay = TimeSpan.FromSeconds(8);
            o.RequestTimeout = RequestTimeout;
        });
        _services = services.BuildServiceProvider();
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
        _slack.Dispose();
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
        Routes = [new AlertRoute("slack", Channel)],
    };

    private static string Server(int i) => $"srv-{i:D4}";

    [Fact]
    public async Task A_thousand_alerts_in_a_minute_are_each_announced_once_updated_and_resolved_under_slacks_pace()
    {
        var calls = 0;
        _slack.Fault = call =>
        {
            if (call.Method is not ("chat.postMessage" or "chat.update")) return null;
            // Bursts: three 429s in a row every 100 calls (the same message, retried after Retry-After each time), two 503s every 100.
            var n = Interlocked.Increment(ref calls) % 100;
            return n switch
            {
                50 or 51 or 52 => new FakeReply(429, """{"ok":false,"error":"ratelimited"}""", RetryAfter: "3"),
                80 or 81 => new FakeReply(503, "upstream unavailable"),
                _ => null,
            };
        };

        // 1,000 breaches 60 ms apart, then 1,000 recoveries 60 ms apart: 2,000 alerts-topic events.
        var evaluator = _services.GetRequiredService<AlertEvaluator>();
        var acts = Enumerable.Range(0, Alerts).Select(i => new Act(Start + (i * Spacing), Server(i), 97))
            .Concat(Enumerable.Range(0, Alerts).Select(i => new Act(Start + TimeSpan.FromMinutes(1) + (i * Spacing), Server(i), 10)))
            .ToList();
        await RunInVirtualTimeAsync(acts, act => evaluator.EvaluateAsync(
            new MetricSnapshot(act.Server, _clock.GetUtcNow(), [new MetricSample(MetricNames.CpuPercent, new Dictionary<string, string>(), act.Cpu)]), CancellationToken.None));

        var all = _slack.Calls.Snapshot;
        var store = _services.GetRequiredService<IAlertStore>();
        Assert.Empty(await store.ListActiveAsync());

        // 0 lost, 0 visible duplicates: one root per alert, its resolved reply once in its thread, its card resolved.
        var roots = all.Where(c => c is { Method: "chat.postMessage", Delivered: true, ThreadTs: null }).ToList();
        var rootsByServer = roots.GroupBy(c => ServerId().Match(c.BlockText).Value).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(Enumerable.Range(0, Alerts).Select(Server), rootsByServer.Keys.Order());
        Assert.All(rootsByServer, r => Assert.True(r.Value.Count == 1, $"{r.Key}: {r.Value.Count} roots"));
        var tsOf = rootsByServer.ToDictionary(r => r.Key, r => r.Value[0].AnsweredTs!);
        var replies = all.Where(c => c is { Method: "chat.postMessage", Delivered: true } && c.ThreadTs is not null).ToList();
        var lastUpdates = all.Where(c => c is { Method: "chat.update", Delivered: true }).GroupBy(c => c.Get("ts")!).ToDictionary(g => g.Key, g => g.Last());
        foreach (var (server, ts) in tsOf)
        {
            var inThread = replies.Where(r => r.ThreadTs == ts).ToList();
            var resolved = Assert.Single(inThread);
            Assert.Contains("resolved (recovered)", resolved.Text);
            Assert.True(lastUpdates.TryGetValue(ts, out var update), $"{server}: its card was never updated");
            Assert.Contains("RESOLVED", update!.BlockText);
        }

        Assert.Equal(Alerts, replies.Count);

        // Drained: nothing waits in the channel's queue, every event was handled, the bus has no lag.
        Assert.Equal(0, _services.GetRequiredService<SlackOutbox>().Pending(Channel));
        Assert.Equal(2 * Alerts, Volatile.Read(ref _handled));
        var lag = ((IConsumerLagSource)_services.GetRequiredService<IEventBus>()).ReadConsumerLag();
        Assert.All(lag.Where(l => l.Group == AlertNotifier.ConsumerGroup), l => Assert.Equal(0, l.Lag));

        // The pace: what Slack processed (delivered or answered 429) never exceeds one per second plus the root burst.
        var sends = all.Where(c => c.Status is 200 or 429).Select(c => c.At).Order().ToList();
        foreach (var window in new[] { TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(10) })
        {
            var allowed = (int)(window / ChannelInterval) + RootBurst + 1;
            var busiest = Busiest(sends, window);
            Assert.True(busiest <= allowed, $"{busiest} calls within {window.TotalSeconds} s (allowed {allowed})");
        }

        // 429: the next call waits at least Retry-After.
        var throttled = all.Select((c, i) => (Call: c, Next: i + 1 < all.Count ? all[i + 1] : null)).Where(p => p.Call.Status == 429).ToList();
        Assert.True(throttled.Count >= 3 * 25, $"only {throttled.Count} 429s were answered");
        Assert.All(throttled, p => Assert.True(p.Next!.At - p.Call.At >= TimeSpan.FromSeconds(3), $"retried {(p.Next.At - p.Call.At).TotalSeconds} s after a 429 asking for 3 s"));

        // 503: exponential backoff with jitter ("equal jitter": between half and all of base × 2^(n-1)).
        var failed = all.Select((c, i) => (Call: c, Previous: i > 0 ? all[i - 1] : null, Next: i + 1 < all.Count ? all[i + 1] : null)).Where(p => p.Call.Status == 503).ToList();
        Assert.True(failed.Count >= 2 * 25, $"only {failed.Count} 503s were answered");
        var firstGaps = new List<TimeSpan>();
        foreach (var (call, previous, next) in failed)
        {
            var attempt = previous?.Status == 503 ? 2 : 1;
            var ceiling = RetryBase * Math.Pow(2, attempt - 1);
            var gap = next!.At - call.At;
            Assert.True(gap >= ceiling / 2 && gap <= ceiling, $"retry {attempt} came {gap.TotalMilliseconds} ms after a 503 (expected {ceiling.TotalMilliseconds / 2}..{ceiling.TotalMilliseconds} ms)");
            if (attempt == 1) firstGaps.Add(gap);
        }

        Assert.True(firstGaps.Distinct().Count() > firstGaps.Count / 2, "the backoff after a 503 has no jitter");
    }

    /// <summary>
    /// Runs <paramref name="acts"/> at their times, moving the clock only while nothing is in flight:
    /// either the channel's sender is parked on a timer (then to that timer, or to the next act if it comes
    /// first), or everything is idle (then to the next act). Returns once every act ran and all work is done.
    /// </summary>
    private async Task RunInVirtualTimeAsync(IReadOnlyList<Act> acts, Func<Act, Task> run)
    {
        var outbox = _services.GetRequiredService<SlackOutbox>();
        var next = 0;
        while (true)
        {
            var (pending, changed) = _clock.Snapshot();
            // The channel has one sender: with a wait pending it is parked (a Retry-After is waited out inside
            // the call's timeout scope, so that timer may be pending too); with only the timeout, a call is in flight.
            var waits = pending.Where(t => t.Length != RequestTimeout).Select(t => t.DueAt).ToList();
            var parked = waits.Count > 0;
            var idle = pending.Count == 0 && Volatile.Read(ref _handled) == next && outbox.Pending(Channel) == 0;
            if (idle && next == acts.Count) return;

            var nextWait = parked ? waits.Min() : (DateTimeOffset?)null;
            if ((parked || idle) && next < acts.Count && (nextWait is null || acts[next].At <= nextWait))
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
                            + $"{outbox.Pending(Channel)} queued, timers pending: {string.Join(", ", pending.Select(t => t.Length))}");
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

    /// <summary>A metrics sample of one server at a moment of the run.</summary>
    private readonly record struct Act(DateTimeOffset At, string Server, double Cpu);

    [GeneratedRegex(@"srv-\d{4}")]
    private static partial Regex ServerId();
}
