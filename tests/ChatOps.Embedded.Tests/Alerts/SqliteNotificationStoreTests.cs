using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite;
using ChatOps.Embedded.Tests.Store;

namespace ChatOps.Embedded.Tests.Alerts;

/// <summary>The notification ledger (claims, threads) and the outbox: what makes announcements exactly-once and lossless.</summary>
public sealed class SqliteNotificationStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    private static readonly NotificationKey Fired = new("a1", "slack:C1", "fired");
    private SqliteTestDatabase _database = null!;
    private SqliteNotificationLedger _ledger = null!;
    private SqliteNotificationOutbox _outbox = null!;

    public async Task InitializeAsync()
    {
        _database = await SqliteTestDatabase.CreateAsync();
        _ledger = new SqliteNotificationLedger(_database.Connections);
        _outbox = new SqliteNotificationOutbox(_database.Connections);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task A_claim_belongs_to_one_owner_until_done_or_its_lease_runs_out()
    {
        Assert.Equal(ClaimOutcome.Claimed, await _ledger.TryClaimAsync(Fired, "n1", T0, Lease));
        Assert.Equal(ClaimOutcome.HeldByOther, await _ledger.TryClaimAsync(Fired, "n2", T0.AddMinutes(1), Lease));
        Assert.Equal(ClaimOutcome.Claimed, await _ledger.TryClaimAsync(Fired, "n1", T0.AddMinutes(1), Lease));
        Assert.Equal(ClaimOutcome.Claimed, await _ledger.TryClaimAsync(Fired, "n2", T0.AddMinutes(3), Lease));
        Assert.Equal(ClaimOutcome.HeldByOther, await _ledger.TryClaimAsync(Fired, "n1", T0.AddMinutes(4), Lease));

        await _ledger.CompleteAsync(Fired, "n2", T0.AddMinutes(4));

        Assert.Equal(ClaimOutcome.AlreadyDone, await _ledger.TryClaimAsync(Fired, "n1", T0.AddHours(1), Lease));
        Assert.Equal(ClaimOutcome.AlreadyDone, await _ledger.TryClaimAsync(Fired, "n2", T0.AddHours(1), Lease));
        Assert.Equal(ClaimOutcome.Claimed, await _ledger.TryClaimAsync(Fired with { Event = "acknowledged" }, "n1", T0, Lease));
        Assert.Equal(ClaimOutcome.Claimed, await _ledger.TryClaimAsync(Fired with { Route = "teams:T1" }, "n1", T0, Lease));
    }

    [Fact]
    public async Task Replicas_in_separate_processes_racing_for_a_claim_get_it_once()
    {
        var ledgers = Enumerable.Range(0, 6).Select(_ => new SqliteNotificationLedger(_database.NewConnectionFactory())).ToList();

        var outcomes = await Task.WhenAll(ledgers.Select((ledger, i) => ledger.TryClaimAsync(Fired, $"n{i}", T0, Lease)));

        Assert.Single(outcomes, outcome => outcome == ClaimOutcome.Claimed);
        Assert.All(outcomes.Where(o => o != ClaimOutcome.Claimed), o => Assert.Equal(ClaimOutcome.HeldByOther, o));
    }

    [Fact]
    public async Task The_first_thread_saved_for_an_alert_and_route_stays()
    {
        var first = new AlertThread("a1", "slack:C1", new ChatRef("slack", "C1", "1700000000.0001"), T0);

        await _ledger.SaveThreadAsync(first);
        await _ledger.SaveThreadAsync(first with { Thread = new ChatRef("slack", "C1", "other") });
        await _ledger.SaveThreadAsync(new AlertThread("a1", "web:ops", new ChatRef("web", "ops", "alert-a1-x", new Dictionary<string, string> { ["alert"] = "a1" }), T0.AddSeconds(1)));

        Assert.Equal("1700000000.0001", (await _ledger.GetThreadAsync("a1", "slack:C1"))!.Thread.Thread);
        var all = await _ledger.ListThreadsAsync("a1");
        Assert.Equal(["slack:C1", "web:ops"], all.Select(t => t.Route));
        Assert.Equal("a1", all[1].Thread.Get("alert"));
        Assert.Null(await _ledger.GetThreadAsync("a2", "slack:C1"));
    }

    private static OutboxMessage Message(string alertId, string @event = "fired") => new()
    {
        Key = new NotificationKey(alertId, "email:oncall@example.com", @event),
        Platform = "email",
        Destination = "oncall@example.com",
        Title = "[CRITICAL] disk-full on web-1",
        Body = "body",
        Payload = "{}",
        NextAttemptAt = T0,
        CreatedAt = T0,
    };

    [Fact]
    public async Task The_outbox_keeps_one_message_per_key()
    {
        Assert.True(await _outbox.TryEnqueueAsync(Message("a1")));
        Assert.False(await _outbox.TryEnqueueAsync(Message("a1") with { Body = "again" }));
        Assert.True(await _outbox.TryEnqueueAsync(Message("a1", "resolved")));

        var all = await _outbox.ListAsync();
        Assert.Equal(2, all.Count);
        Assert.Equal("body", all.Single(m => m.Key.Event == "fired").Body);
    }

    [Fact]
    public async Task Leased_messages_are_hidden_from_other_drainers_until_the_lease_ends()
    {
        await _outbox.TryEnqueueAsync(Message("a1"));
        await _outbox.TryEnqueueAsync(Message("a2") with { NextAttemptAt = T0.AddMinutes(10) });
        var otherDrainer = new SqliteNotificationOutbox(_database.NewConnectionFactory());

        var leased = await _outbox.LeaseDueAsync(T0, Lease, 10);
        Assert.Equal("a1", Assert.Single(leased).Key.Subject);
        Assert.Empty(await otherDrainer.LeaseDueAsync(T0.AddMinutes(1), Lease, 10));
        Assert.Equal("a1", Assert.Single(await otherDrainer.LeaseDueAsync(T0.AddMinutes(2), Lease, 10)).Key.Subject);
    }

    [Fact]
    public async Task Retries_failures_and_deliveries_are_recorded()
    {
        await _outbox.TryEnqueueAsync(Message("a1"));
        await _outbox.TryEnqueueAsync(Message("a2"));
        var (first, second) = ((await _outbox.LeaseDueAsync(T0, Lease, 10))[0], (await _outbox.LeaseDueAsync(T0.AddMinutes(5), Lease, 10)).Single(m => m.Key.Subject == "a2"));

        await _outbox.ScheduleRetryAsync(first.Id, 1, T0.AddSeconds(30), "SMTP 451 try later");
        Assert.DoesNotContain(await _outbox.LeaseDueAsync(T0.AddSeconds(29), Lease, 10), m => m.Id == first.Id);
        var retried = Assert.Single(await _outbox.LeaseDueAsync(T0.AddSeconds(30), Lease, 10), m => m.Id == first.Id);
        Assert.Equal(1, retried.Attempts);
        Assert.Equal("SMTP 451 try later", retried.LastError);

        await _outbox.MarkDeliveredAsync(first.Id, 2, T0.AddMinutes(1));
        await _outbox.MarkFailedAsync(second.Id, 1, "SMTP 550 no such user", T0.AddMinutes(5));

        var delivered = Assert.Single(await _outbox.ListAsync(OutboxState.Delivered));
        Assert.Equal((2, T0.AddMinutes(1)), (delivered.Attempts, delivered.DeliveredAt!.Value));
        Assert.Equal("SMTP 550 no such user", Assert.Single(await _outbox.ListAsync(OutboxState.Failed)).LastError);
        Assert.Empty(await _outbox.LeaseDueAsync(T0.AddDays(1), Lease, 10));
    }
}
