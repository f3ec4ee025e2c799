using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Notifications;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ChatOps.Core.Tests.Alerts;

/// <summary>Exactly-once announcement with several notifier replicas and redelivered events.</summary>
public sealed class NotifierTests
{
    private static AlertNotifier NewNotifier(AlertHarness h) => new(
        [h.Channel],
        [],
        h.Services.GetRequiredService<INotificationLedger>(),
        h.Services.GetRequiredService<INotificationOutbox>(),
        h.Services.GetRequiredService<IOptions<AlertOptions>>(),
        h.Time,
        NullLogger<AlertNotifier>.Instance);

    [Fact]
    public async Task Two_notifiers_on_one_bus_and_store_announce_each_alert_once_despite_duplicates()
    {
        await using var h = await AlertHarness.StartAsync(rules: AlertHarness.CpuRule(target: "*"));
        var second = NewNotifier(h);
        await using var secondSubscription = await h.SubscribeNotifierAsync(second);

        await h.ReportCpuAsync(95, "web-1");
        await h.ReportCpuAsync(96, "web-2");
        var alerts = await h.Alerts.ListActiveAsync();
        foreach (var alert in alerts)
        {
            // A second evaluator replica, or a redelivery, publishes the same events again.
            await h.Bus.PublishAsync(Topics.Alerts, AlertEnvelopes.Create(alert with { PendingEvent = AlertEventTypes.Fired }, h.Time.GetUtcNow()));
            await h.Bus.PublishAsync(Topics.Alerts, AlertEnvelopes.Create(alert with { PendingEvent = AlertEventTypes.Fired }, h.Time.GetUtcNow()));
            Assert.Contains("Acknowledged", await h.SayAsync($"ack {alert.Id}"));
            var acknowledged = await h.Alerts.GetAsync(alert.Id);
            await h.Bus.PublishAsync(Topics.Alerts, AlertEnvelopes.Create(acknowledged! with { PendingEvent = AlertEventTypes.Acknowledged }, h.Time.GetUtcNow()));
        }

        foreach (var alert in alerts)
        {
            await h.Channel.WaitForReplyAsync(alert.Id, "acknowledged by olivia");
            await h.SettleAsync(alert);
            Assert.Single(h.Channel.Roots(alert.Id));
            Assert.Single(h.Channel.Replies(alert.Id));
        }
    }

    [Fact]
    public async Task Concurrent_replicas_handling_the_same_event_post_one_root()
    {
        await using var h = await AlertHarness.StartAsync();
        var alert = Sample(h);
        var envelope = AlertEnvelopes.Create(alert, h.Time.GetUtcNow());
        var replicas = Enumerable.Range(0, 4).Select(_ => NewNotifier(h)).ToList();

        var outcomes = await Task.WhenAll(replicas.Select(async replica =>
        {
            try
            {
                await replica.HandleAsync(envelope, CancellationToken.None);
                return "done";
            }
            catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is AlertClaimHeldException))
            {
                return "busy";
            }
        }));

        Assert.Single(h.Channel.Roots(alert.Id));
        Assert.Contains("done", outcomes);

        // The bus retries the busy ones later: by then the work is done and they skip it.
        foreach (var replica in replicas) await replica.HandleAsync(envelope, CancellationToken.None);
        Assert.Single(h.Channel.Roots(alert.Id));
    }

    [Fact]
    public async Task A_claim_abandoned_by_a_dead_replica_is_taken_over_after_the_lease()
    {
        await using var h = await AlertHarness.StartAsync(o => o.ClaimLease = TimeSpan.FromMinutes(2));
        var alert = Sample(h);
        var ledger = h.Services.GetRequiredService<INotificationLedger>();
        await ledger.TryClaimAsync(new NotificationKey(alert.Id, AlertHarness.Route.Key, "fired"), "dead-replica", h.Time.GetUtcNow(), TimeSpan.FromMinutes(2));
        var notifier = NewNotifier(h);
        var envelope = AlertEnvelopes.Create(alert, h.Time.GetUtcNow());

        await Assert.ThrowsAsync<AggregateException>(() => notifier.HandleAsync(envelope, CancellationToken.None));
        Assert.Empty(h.Channel.Roots());

        h.Time.Advance(TimeSpan.FromMinutes(2));
        await notifier.HandleAsync(envelope, CancellationToken.None);
        Assert.Single(h.Channel.Roots(alert.Id));
    }

    [Fact]
    public async Task A_failing_platform_makes_the_event_retry_and_the_retry_posts_once()
    {
        await using var h = await AlertHarness.StartAsync();
        var alert = Sample(h);
        var notifier = NewNotifier(h);
        var envelope = AlertEnvelopes.Create(alert, h.Time.GetUtcNow());
        h.Channel.FailNext = 1;

        await Assert.ThrowsAsync<AggregateException>(() => notifier.HandleAsync(envelope, CancellationToken.None));
        await notifier.HandleAsync(envelope, CancellationToken.None);
        await notifier.HandleAsync(envelope, CancellationToken.None);

        Assert.Single(h.Channel.Roots(alert.Id));
    }

    [Fact]
    public async Task An_event_whose_announcement_was_lost_opens_the_thread_first()
    {
        await using var h = await AlertHarness.StartAsync();
        var alert = Sample(h) with { State = AlertState.Acknowledged, AcknowledgedBy = "olivia", PendingEvent = AlertEventTypes.Acknowledged };

        await NewNotifier(h).HandleAsync(AlertEnvelopes.Create(alert, h.Time.GetUtcNow()), CancellationToken.None);

        Assert.Single(h.Channel.Roots(alert.Id));
        await h.Channel.WaitForReplyAsync(alert.Id, "acknowledged by olivia");
    }

    internal static AlertRecord Sample(AlertHarness h, string id = "a1b2c3d4") => new()
    {
        Id = id,
        Fingerprint = AlertFingerprint.Of("cpu-high", "web-1", null),
        RuleName = "cpu-high",
        ServerId = "web-1",
        Condition = AlertCondition.Threshold,
        Severity = ChatOps.Core.Alerts.Rules.AlertSeverity.Warning,
        State = AlertState.Firing,
        Value = 95,
        Terms = new AlertTerms("cpu_percent", ChatOps.Core.Alerts.Rules.AlertComparator.GreaterThan, 90, null, null, [AlertHarness.Route], null, null),
        StartedAt = h.Time.GetUtcNow(),
        FiredAt = h.Time.GetUtcNow(),
        PendingEvent = AlertEventTypes.Fired,
        Version = 1,
        UpdatedAt = h.Time.GetUtcNow(),
    };
}
