using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Rules;
using static ChatOps.Conformance.Alerts.AlertTestData;

namespace ChatOps.Conformance.Alerts;

/// <summary><see cref="Core.Ports.IAlertStore"/>: conditional writes and one active alert per fingerprint.</summary>
public abstract class AlertStoreConformanceTests : AlertingConformanceTests
{
    [Fact]
    public async Task An_alert_with_every_field_set_round_trips_exactly()
    {
        // A non-UTC offset: stores keep the instant (DateTimeOffset equality compares instants).
        var alert = Alert("a1") with { StartedAt = new DateTimeOffset(T0.DateTime.AddHours(2), TimeSpan.FromHours(2)) };
        var resolved = Alert("a2", "fp-2", state: AlertState.Resolved);

        Assert.True(await Stores.Alerts.TryCreateAsync(alert));
        Assert.True(await Stores.Alerts.TryCreateAsync(resolved));

        AssertSameAlert(alert, await Stores.Alerts.GetAsync("a1"));
        AssertSameAlert(resolved, await Stores.Alerts.GetAsync("a2"));
    }

    [Fact]
    public async Task An_alert_with_only_required_fields_round_trips_with_its_nulls()
    {
        var alert = MinimalAlert("a1");

        Assert.True(await Stores.Alerts.TryCreateAsync(alert));

        var stored = await Stores.Alerts.GetAsync("a1");
        AssertSameAlert(alert, stored);
        Assert.Empty(stored!.Labels);
        Assert.Empty(stored.Terms.Routes);
        Assert.Null(stored.Value);
        Assert.Null(stored.Terms.Escalation);
        Assert.Null(stored.PendingEvent);
    }

    [Fact]
    public async Task Unknown_ids_and_fingerprints_without_an_active_alert_read_as_null()
    {
        await Stores.Alerts.TryCreateAsync(Alert("a1"));
        await Stores.Alerts.TryCreateAsync(Alert("r1", "fp-resolved", state: AlertState.Resolved));

        Assert.Null(await Stores.Alerts.GetAsync("a-unknown"));
        Assert.Null(await Stores.Alerts.FindActiveAsync("fp-unknown"));
        Assert.Null(await Stores.Alerts.FindActiveAsync("fp-resolved"));
        Assert.Equal("a1", (await Stores.Alerts.FindActiveAsync("fp-1"))!.Id);
    }

    [Fact]
    public async Task Creating_an_existing_id_fails_and_keeps_the_first()
    {
        Assert.True(await Stores.Alerts.TryCreateAsync(Alert("a1")));

        Assert.False(await Stores.Alerts.TryCreateAsync(Alert("a1", "fp-other", "web-9")));

        var stored = (await Stores.Alerts.GetAsync("a1"))!;
        Assert.Equal(("fp-1", "web-1"), (stored.Fingerprint, stored.ServerId));
        Assert.Null(await Stores.Alerts.FindActiveAsync("fp-other"));
    }

    [Fact]
    public async Task Only_one_alert_per_fingerprint_is_active_at_a_time()
    {
        Assert.True(await Stores.Alerts.TryCreateAsync(Alert("a1")));
        Assert.False(await Stores.Alerts.TryCreateAsync(Alert("a2")));
        Assert.False(await Stores.Alerts.TryCreateAsync(Alert("a2", state: AlertState.Pending)));

        var first = (await Stores.Alerts.GetAsync("a1"))!;
        Assert.True(await Stores.Alerts.TryUpdateAsync(first with { State = AlertState.Resolved, ResolvedAt = T0.AddHours(1), Version = 2 }, 1));
        Assert.True(await Stores.Alerts.TryCreateAsync(Alert("a2")));
        Assert.Equal("a2", (await Stores.Alerts.FindActiveAsync("fp-1"))!.Id);

        // Resolved occurrences are history: any number of them may share the fingerprint.
        Assert.True(await Stores.Alerts.TryCreateAsync(Alert("a0", state: AlertState.Resolved)));
        Assert.Equal(["a0", "a1", "a2"], (await Stores.Alerts.ListRecentAsync()).Select(a => a.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Replicas_racing_to_open_the_same_alert_open_it_once()
    {
        var results = await RunConcurrentlyAsync(12, Replicas(2), (stores, i) => stores.Alerts.TryCreateAsync(Alert($"a{i}") with { Detail = $"attempt {i}" }));

        Assert.Single(results, created => created);
        var winner = Array.IndexOf(results, true);
        var active = Assert.Single(await Stores.Alerts.ListActiveAsync());
        Assert.Equal(($"a{winner}", $"attempt {winner}"), (active.Id, active.Detail));
    }

    [Fact]
    public async Task Updates_are_conditional_on_the_version()
    {
        await Stores.Alerts.TryCreateAsync(Alert("a1"));
        var stored = (await Stores.Alerts.GetAsync("a1"))!;

        Assert.True(await Stores.Alerts.TryUpdateAsync(stored with { State = AlertState.Acknowledged, AcknowledgedBy = "olivia", Version = 2 }, 1));
        Assert.False(await Stores.Alerts.TryUpdateAsync(stored with { State = AlertState.Resolved, Version = 2 }, 1));
        Assert.False(await Stores.Alerts.TryUpdateAsync(stored with { State = AlertState.Resolved, Version = 4 }, 3));

        var read = (await Stores.Alerts.GetAsync("a1"))!;
        Assert.Equal(AlertState.Acknowledged, read.State);
        Assert.Equal("olivia", read.AcknowledgedBy);
        Assert.Equal(2, read.Version);
    }

    [Fact]
    public async Task An_update_of_an_unknown_alert_changes_nothing()
    {
        Assert.False(await Stores.Alerts.TryUpdateAsync(Alert("a-unknown") with { Version = 2 }, 1));

        Assert.Null(await Stores.Alerts.GetAsync("a-unknown"));
    }

    [Fact]
    public async Task An_update_writes_every_changing_field_including_nulls()
    {
        await Stores.Alerts.TryCreateAsync(Alert("a1"));
        var stored = (await Stores.Alerts.GetAsync("a1"))!;
        var resolved = stored with
        {
            Severity = AlertSeverity.Warning,
            State = AlertState.Resolved,
            Value = null,
            Detail = null,
            Terms = new AlertTerms("disk_used_percent", AlertComparator.GreaterThan, 95, null, null, [new AlertRoute("slack", "C1")], null, null),
            FiredAt = T0.AddMinutes(6),
            ClearSince = null,
            LastSampleAt = T0.AddMinutes(40),
            AcknowledgedAt = null,
            AcknowledgedBy = null,
            ResolvedAt = T0.AddMinutes(41),
            ResolvedBy = "oscar",
            Escalations = 0,
            LastEscalatedAt = null,
            SilencedBy = null,
            PendingEvent = AlertEventTypes.Resolved,
            Version = 2,
            UpdatedAt = T0.AddMinutes(41),
        };

        Assert.True(await Stores.Alerts.TryUpdateAsync(resolved, 1));

        AssertSameAlert(resolved, await Stores.Alerts.GetAsync("a1"));
        Assert.Null(await Stores.Alerts.FindActiveAsync("fp-1"));
    }

    [Fact]
    public async Task Of_replicas_updating_one_version_at_once_exactly_one_wins()
    {
        await Stores.Alerts.TryCreateAsync(Alert("a1"));
        var stored = (await Stores.Alerts.GetAsync("a1"))!;

        var results = await RunConcurrentlyAsync(12, Replicas(2), (stores, i) =>
            stores.Alerts.TryUpdateAsync(stored with { AcknowledgedBy = $"user-{i}", State = AlertState.Acknowledged, Version = 2 }, 1));

        Assert.Single(results, updated => updated);
        var winner = Array.IndexOf(results, true);
        var read = (await Stores.Alerts.GetAsync("a1"))!;
        Assert.Equal(($"user-{winner}", 2L), (read.AcknowledgedBy, read.Version));
    }

    [Fact]
    public async Task Reopening_a_resolved_alert_while_another_is_active_for_its_fingerprint_is_refused()
    {
        await Stores.Alerts.TryCreateAsync(Alert("old", state: AlertState.Resolved));
        await Stores.Alerts.TryCreateAsync(Alert("new"));
        var old = (await Stores.Alerts.GetAsync("old"))!;

        Assert.False(await Stores.Alerts.TryUpdateAsync(old with { State = AlertState.Firing, ResolvedAt = null, Version = 2 }, 1));

        var read = (await Stores.Alerts.GetAsync("old"))!;
        Assert.Equal((AlertState.Resolved, 1L), (read.State, read.Version));
        Assert.Equal("new", Assert.Single(await Stores.Alerts.ListActiveAsync()).Id);
    }

    [Fact]
    public async Task Pending_events_are_cleared_once_and_only_at_their_version()
    {
        await Stores.Alerts.TryCreateAsync(Alert("a1"));

        Assert.False(await Stores.Alerts.ClearPendingEventAsync("a1", 7));
        Assert.Equal(AlertEventTypes.Fired, (await Stores.Alerts.GetAsync("a1"))!.PendingEvent);
        Assert.True(await Stores.Alerts.ClearPendingEventAsync("a1", 1));
        Assert.False(await Stores.Alerts.ClearPendingEventAsync("a1", 1));
        Assert.False(await Stores.Alerts.ClearPendingEventAsync("a-unknown", 1));

        // Publishing is not a state change: the version stays, so the evaluator's next write still applies.
        var read = (await Stores.Alerts.GetAsync("a1"))!;
        Assert.Null(read.PendingEvent);
        Assert.Equal(1, read.Version);
        Assert.True(await Stores.Alerts.TryUpdateAsync(read with { Value = 99, Version = 2 }, 1));
    }

    [Fact]
    public async Task Pending_alerts_are_deleted_only_while_pending_and_at_their_version()
    {
        await Stores.Alerts.TryCreateAsync(Alert("a1"));
        await Stores.Alerts.TryCreateAsync(Alert("p1", "fp-2", state: AlertState.Pending));

        Assert.False(await Stores.Alerts.TryDeletePendingAsync("a1", 1));
        Assert.False(await Stores.Alerts.TryDeletePendingAsync("p1", 2));
        Assert.False(await Stores.Alerts.TryDeletePendingAsync("p-unknown", 1));
        Assert.True(await Stores.Alerts.TryDeletePendingAsync("p1", 1));
        Assert.False(await Stores.Alerts.TryDeletePendingAsync("p1", 1));

        Assert.Null(await Stores.Alerts.GetAsync("p1"));
        Assert.NotNull(await Stores.Alerts.GetAsync("a1"));
        // The fingerprint is free again.
        Assert.True(await Stores.Alerts.TryCreateAsync(Alert("p2", "fp-2", state: AlertState.Pending)));
    }

    [Fact]
    public async Task Lists_filter_by_server_state_and_time()
    {
        await Stores.Alerts.TryCreateAsync(Alert("a1", "fp-1", "web-1"));
        await Stores.Alerts.TryCreateAsync(Alert("a2", "fp-2", "web-2") with { StartedAt = T0.AddMinutes(1) });
        var resolved = Alert("a3", "fp-3", "web-1") with { State = AlertState.Resolved, StartedAt = T0.AddMinutes(2), ResolvedAt = T0.AddMinutes(30) };
        await Stores.Alerts.TryCreateAsync(resolved);

        Assert.Equal(["a1", "a2"], (await Stores.Alerts.ListActiveAsync()).Select(a => a.Id));
        Assert.Equal(["a1"], (await Stores.Alerts.ListActiveAsync("web-1")).Select(a => a.Id));
        Assert.Empty(await Stores.Alerts.ListActiveAsync("web-unknown"));
        Assert.Equal(["a3"], (await Stores.Alerts.ListResolvedSinceAsync(T0.AddMinutes(30), "web-1")).Select(a => a.Id));
        Assert.Empty(await Stores.Alerts.ListResolvedSinceAsync(T0.AddMinutes(31)));
        Assert.Empty(await Stores.Alerts.ListResolvedSinceAsync(T0, "web-2"));
        Assert.Equal(["a3", "a2"], (await Stores.Alerts.ListRecentAsync(2)).Select(a => a.Id));
        AssertSameAlert(resolved, Assert.Single(await Stores.Alerts.ListResolvedSinceAsync(T0)));
    }

    [Fact]
    public async Task Active_alerts_come_oldest_first_and_resolved_ones_newest_first()
    {
        await Stores.Alerts.TryCreateAsync(Alert("a-late", "fp-1") with { StartedAt = T0.AddMinutes(3) });
        await Stores.Alerts.TryCreateAsync(Alert("a-early", "fp-2") with { StartedAt = T0.AddMinutes(-3) });
        await Stores.Alerts.TryCreateAsync(Alert("a-mid", "fp-3") with { StartedAt = T0 });
        await Stores.Alerts.TryCreateAsync(Alert("r-first", "fp-4", state: AlertState.Resolved) with { ResolvedAt = T0.AddMinutes(10) });
        await Stores.Alerts.TryCreateAsync(Alert("r-last", "fp-5", state: AlertState.Resolved) with { ResolvedAt = T0.AddMinutes(50) });
        await Stores.Alerts.TryCreateAsync(Alert("r-mid", "fp-6", state: AlertState.Resolved) with { ResolvedAt = T0.AddMinutes(20) });

        Assert.Equal(["a-early", "a-mid", "a-late"], (await Stores.Alerts.ListActiveAsync()).Select(a => a.Id));
        Assert.Equal(["r-last", "r-mid", "r-first"], (await Stores.Alerts.ListResolvedSinceAsync(T0)).Select(a => a.Id));
        Assert.Equal(["r-last", "r-mid"], (await Stores.Alerts.ListResolvedSinceAsync(T0.AddMinutes(20))).Select(a => a.Id));
        Assert.Equal(["a-late"], (await Stores.Alerts.ListRecentAsync(1)).Select(a => a.Id));
        Assert.Equal(6, (await Stores.Alerts.ListRecentAsync()).Count);
    }
}
