using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Postgres.Tests.Support;
using Npgsql;
using static ChatOps.Conformance.Alerts.AlertTestData;

namespace ChatOps.Postgres.Tests.Alerts;

/// <summary>What the alerting tables add on PostgreSQL beyond the port contracts: jsonb documents, NUL-safe text, the failure contract.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresAlertingStoreSpecificsTests(PostgresServerFixture server) : IAsyncLifetime
{
    private TestSchema _schema = null!;

    public async Task InitializeAsync() => _schema = await TestSchema.CreateAsync(server, configure: o =>
    {
        o.MaxRetryAttempts = 2;
        o.RetryDelay = TimeSpan.FromMilliseconds(1);
    });

    public async Task DisposeAsync() => await _schema.DisposeAsync();

    [Fact]
    public async Task Labels_terms_rules_and_threads_are_jsonb_documents_an_operator_can_query()
    {
        var stores = _schema.CreateAlertingStores();
        await stores.Alerts.TryCreateAsync(Alert("a1"));
        await stores.Rules.UpsertAsync(Rule("load-a"), T0);
        await stores.Ledger.SaveThreadAsync(new AlertThread("a1", "slack:C1", new ChatRef("slack", "C1", "1700000000.0001"), T0));

        Assert.Equal("a1", await _schema.ScalarAsync<string>("SELECT id FROM alerts WHERE labels @> '{\"mount\": \"/var\"}'"));
        Assert.Equal("disk_used_percent", await _schema.ScalarAsync<string>("SELECT terms->>'metric' FROM alerts"));
        Assert.Equal("load1", await _schema.ScalarAsync<string>("SELECT definition->>'metric' FROM alert_rules WHERE name = 'load-a'"));
        Assert.Equal("1700000000.0001", await _schema.ScalarAsync<string>("SELECT thread->>'thread' FROM alert_threads"));
    }

    [Fact]
    public async Task Alert_details_and_outbox_texts_with_NUL_characters_are_stored_with_a_visible_replacement()
    {
        var stores = _schema.CreateAlertingStores();
        await stores.Alerts.TryCreateAsync(Alert("a1") with { Detail = "d\0e" });
        await stores.Outbox.TryEnqueueAsync(Message("a1") with { Body = "b\0c" });
        var leased = Assert.Single(await stores.Outbox.LeaseDueAsync(T0, Lease, 10));

        await stores.Outbox.ScheduleRetryAsync(leased.Id, 1, T0, "SMTP said \0");

        Assert.Equal("d\uFFFDe", (await stores.Alerts.GetAsync("a1"))!.Detail);
        var stored = Assert.Single(await stores.Outbox.ListAsync());
        Assert.Equal(("b\uFFFDc", "SMTP said \uFFFD"), (stored.Body, stored.LastError));
    }

    [Fact]
    public async Task A_row_with_an_unknown_state_is_reported_by_its_column_not_misread()
    {
        var stores = _schema.CreateAlertingStores();
        await stores.Alerts.TryCreateAsync(Alert("a1"));
        await _schema.ExecuteAsync("UPDATE alerts SET state = 'exploded'");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => stores.Alerts.GetAsync("a1"));

        Assert.Contains("'exploded' in alerts.state", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_killed_under_an_alert_create_is_surfaced_not_turned_into_false()
    {
        var alerts = _schema.CreateAlertingStores().Alerts;
        await alerts.TryCreateAsync(Alert("a0", "fp-0"));
        await KillPooledConnectionAsync();

        // A false would tell the evaluator that someone else opened the alert.
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => alerts.TryCreateAsync(Alert("a1")));

        Assert.True(await alerts.TryCreateAsync(Alert("a1")));
    }

    [Fact]
    public async Task A_connection_killed_under_a_claim_is_retried_since_claiming_again_is_harmless()
    {
        var ledger = _schema.CreateAlertingStores().Ledger;
        var key = new NotificationKey("a1", "slack:C1", "fired");
        await ledger.TryClaimAsync(key with { Event = "warm-up" }, "n1", T0, Lease);
        await KillPooledConnectionAsync();

        Assert.Equal(ClaimOutcome.Claimed, await ledger.TryClaimAsync(key, "n1", T0, Lease));
    }

    /// <summary>Terminates the backend of the pool's one idle connection, as a fail-over or restart would.</summary>
    private async Task KillPooledConnectionAsync()
    {
        int pid;
        await using (var connection = await _schema.DataSources.Primary.OpenConnectionAsync())
        {
            pid = connection.ProcessID;
        }

        await using var admin = await server.Admin.OpenConnectionAsync();
        await using var kill = new NpgsqlCommand("SELECT pg_terminate_backend(@pid, 5000)", admin);
        kill.Parameters.AddWithValue("pid", pid);
        Assert.Equal(true, await kill.ExecuteScalarAsync());
    }
}
