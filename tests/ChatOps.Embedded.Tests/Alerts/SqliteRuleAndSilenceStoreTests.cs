using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Embedded.Sqlite;
using ChatOps.Embedded.Tests.Store;

namespace ChatOps.Embedded.Tests.Alerts;

public sealed class SqliteRuleAndSilenceStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private SqliteTestDatabase _database = null!;
    private SqliteAlertRuleStore _rules = null!;
    private SqliteSilenceStore _silences = null!;

    public async Task InitializeAsync()
    {
        _database = await SqliteTestDatabase.CreateAsync();
        _rules = new SqliteAlertRuleStore(_database.Connections);
        _silences = new SqliteSilenceStore(_database.Connections);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    private static AlertRule Rule(string name) => new()
    {
        Name = name,
        Metric = "load1",
        Labels = new Dictionary<string, string> { ["cpu"] = "all" },
        Target = "role:web",
        Comparator = AlertComparator.GreaterThan,
        For = TimeSpan.FromMinutes(2),
        ClearFor = TimeSpan.FromSeconds(30),
        Severity = AlertSeverity.Info,
        NoDataAfter = TimeSpan.FromMinutes(10),
        Anomaly = new AnomalySettings(3.5, 0.25, 30, 1),
        Routes = [new AlertRoute("teams", "19:abc@thread.tacv2"), new AlertRoute("webhook", "https://hooks.example.com/x")],
        Runbook = "run {server} uptime",
        Escalation = new EscalationSettings(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), "@oncall"),
        Summary = "load is unusual",
    };

    [Fact]
    public async Task Rules_round_trip_and_are_replaced_by_name()
    {
        await _rules.UpsertAsync(Rule("load-b"), T0);
        await _rules.UpsertAsync(Rule("load-a"), T0);
        await _rules.UpsertAsync(Rule("load-b") with { Severity = AlertSeverity.Critical }, T0.AddMinutes(1));

        var read = (await _rules.GetAsync("load-a"))!;
        Assert.Equal(Rule("load-a").Routes, read.Routes);
        Assert.Equal(Rule("load-a").Labels, read.Labels);
        Assert.Equal(Rule("load-a") with { Routes = read.Routes, Labels = read.Labels }, read);
        Assert.Equal(["load-a", "load-b"], (await _rules.ListAsync()).Select(r => r.Name));
        Assert.Equal(AlertSeverity.Critical, (await _rules.GetAsync("load-b"))!.Severity);
        Assert.True(await _rules.DeleteAsync("load-a"));
        Assert.False(await _rules.DeleteAsync("load-a"));
        Assert.Null(await _rules.GetAsync("load-a"));
    }

    [Fact]
    public async Task Current_silences_include_maintenance_windows_and_exclude_ended_or_expired_ones()
    {
        var now = new Silence("s1", "web-1", null, T0, T0.AddHours(2), "olivia", "deploy", T0);
        var window = new Silence("s2", "role:db", "disk-*", T0.AddHours(3), T0.AddHours(5), "olivia", null, T0);
        var ended = new Silence("s3", "web-2", null, T0.AddHours(-2), T0.AddMinutes(-1), "olivia", null, T0.AddHours(-2));
        foreach (var silence in new[] { now, window, ended }) Assert.True(await _silences.CreateAsync(silence));
        Assert.False(await _silences.CreateAsync(now));

        Assert.Equal([now, window], await _silences.ListCurrentAsync(T0));
        Assert.True(await _silences.ExpireAsync("s1", T0.AddMinutes(10)));
        Assert.False(await _silences.ExpireAsync("s1", T0.AddMinutes(11)));
        Assert.False(await _silences.ExpireAsync("s3", T0));
        Assert.Equal([window], await _silences.ListCurrentAsync(T0.AddMinutes(10)));
        Assert.Equal(T0.AddMinutes(10), (await _silences.GetAsync("s1"))!.ExpiredAt);
    }
}
