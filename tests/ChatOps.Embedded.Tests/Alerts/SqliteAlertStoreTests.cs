using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Embedded.Sqlite;
using ChatOps.Embedded.Tests.Store;

namespace ChatOps.Embedded.Tests.Alerts;

public sealed class SqliteAlertStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private SqliteTestDatabase _database = null!;
    private SqliteAlertStore _store = null!;

    public async Task InitializeAsync()
    {
        _database = await SqliteTestDatabase.CreateAsync();
        _store = new SqliteAlertStore(_database.Connections);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    internal static AlertRecord Alert(string id, string fingerprint = "fp-1", string server = "web-1", AlertState state = AlertState.Firing) => new()
    {
        Id = id,
        Fingerprint = fingerprint,
        RuleName = "disk-full",
        ServerId = server,
        Labels = new Dictionary<string, string> { ["mount"] = "/var" },
        Condition = AlertCondition.Threshold,
        Severity = AlertSeverity.Critical,
        State = state,
        Value = 93.5,
        Detail = "z = 4.0",
        Terms = new AlertTerms("disk_used_percent", AlertComparator.GreaterOrEqual, 90, 85, "disk nearly full",
            [new AlertRoute("web", "ops"), new AlertRoute("email", "oncall@example.com")], "run web-1 df",
            new EscalationSettings(TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30), "@oncall")),
        StartedAt = T0,
        FiredAt = T0.AddMinutes(5),
        LastSampleAt = T0.AddMinutes(6),
        Escalations = 2,
        LastEscalatedAt = T0.AddMinutes(20),
        SilencedBy = "s1",
        PendingEvent = AlertEventTypes.Fired,
        Version = 1,
        UpdatedAt = T0.AddMinutes(5),
    };

    [Fact]
    public async Task An_alert_reads_back_with_every_field()
    {
        var alert = Alert("a1");

        Assert.True(await _store.TryCreateAsync(alert));
        var read = await _store.GetAsync("a1");

        Assert.NotNull(read);
        Assert.Equal(alert.Terms.Routes, read.Terms.Routes);
        Assert.Equal(alert.Labels, read.Labels);
        Assert.Equal(alert with { Terms = read.Terms, Labels = read.Labels }, read);
        Assert.Equal(alert.Terms with { Routes = read.Terms.Routes }, read.Terms);
    }

    [Fact]
    public async Task Only_one_alert_per_fingerprint_is_active_at_a_time()
    {
        Assert.True(await _store.TryCreateAsync(Alert("a1")));
        Assert.False(await _store.TryCreateAsync(Alert("a2")));
        Assert.False(await _store.TryCreateAsync(Alert("a1", "fp-other")));

        var first = (await _store.GetAsync("a1"))!;
        Assert.True(await _store.TryUpdateAsync(first with { State = AlertState.Resolved, ResolvedAt = T0.AddHours(1), Version = 2 }, 1));
        Assert.True(await _store.TryCreateAsync(Alert("a2")));
        Assert.Equal("a2", (await _store.FindActiveAsync("fp-1"))!.Id);
    }

    [Fact]
    public async Task Two_processes_racing_to_open_the_same_alert_open_it_once()
    {
        var other = new SqliteAlertStore(_database.NewConnectionFactory());

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            (i % 2 == 0 ? _store : other).TryCreateAsync(Alert($"a{i}"))));

        Assert.Equal(1, results.Count(created => created));
        Assert.Single(await _store.ListActiveAsync());
    }

    [Fact]
    public async Task Updates_are_conditional_on_the_version()
    {
        await _store.TryCreateAsync(Alert("a1"));
        var stored = (await _store.GetAsync("a1"))!;

        Assert.True(await _store.TryUpdateAsync(stored with { State = AlertState.Acknowledged, AcknowledgedBy = "olivia", Version = 2 }, 1));
        Assert.False(await _store.TryUpdateAsync(stored with { State = AlertState.Resolved, Version = 2 }, 1));

        var read = (await _store.GetAsync("a1"))!;
        Assert.Equal(AlertState.Acknowledged, read.State);
        Assert.Equal("olivia", read.AcknowledgedBy);
        Assert.Equal(2, read.Version);
    }

    [Fact]
    public async Task Pending_events_are_cleared_only_at_their_version_and_pending_alerts_deleted_only_while_pending()
    {
        await _store.TryCreateAsync(Alert("a1"));
        await _store.TryCreateAsync(Alert("p1", "fp-2", state: AlertState.Pending));

        Assert.False(await _store.ClearPendingEventAsync("a1", 7));
        Assert.True(await _store.ClearPendingEventAsync("a1", 1));
        Assert.Null((await _store.GetAsync("a1"))!.PendingEvent);
        Assert.False(await _store.TryDeletePendingAsync("a1", 1));
        Assert.False(await _store.TryDeletePendingAsync("p1", 2));
        Assert.True(await _store.TryDeletePendingAsync("p1", 1));
        Assert.Null(await _store.GetAsync("p1"));
    }

    [Fact]
    public async Task Lists_filter_by_server_state_and_time()
    {
        await _store.TryCreateAsync(Alert("a1", "fp-1", "web-1"));
        await _store.TryCreateAsync(Alert("a2", "fp-2", "web-2") with { StartedAt = T0.AddMinutes(1) });
        var resolved = Alert("a3", "fp-3", "web-1") with { State = AlertState.Resolved, StartedAt = T0.AddMinutes(2), ResolvedAt = T0.AddMinutes(30) };
        await _store.TryCreateAsync(resolved);

        Assert.Equal(["a1", "a2"], (await _store.ListActiveAsync()).Select(a => a.Id));
        Assert.Equal(["a1"], (await _store.ListActiveAsync("web-1")).Select(a => a.Id));
        Assert.Equal(["a3"], (await _store.ListResolvedSinceAsync(T0.AddMinutes(30), "web-1")).Select(a => a.Id));
        Assert.Empty(await _store.ListResolvedSinceAsync(T0.AddMinutes(31)));
        Assert.Empty(await _store.ListResolvedSinceAsync(T0, "web-2"));
        Assert.Equal(["a3", "a2"], (await _store.ListRecentAsync(2)).Select(a => a.Id));
    }
}
