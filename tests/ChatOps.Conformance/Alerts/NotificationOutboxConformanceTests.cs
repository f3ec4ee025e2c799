using ChatOps.Core.Ports;
using static ChatOps.Conformance.Alerts.AlertTestData;

namespace ChatOps.Conformance.Alerts;

/// <summary>
/// <see cref="INotificationOutbox"/>: one message per key, leased to one drainer at a time, retried
/// until delivered or given up.
/// </summary>
public abstract class NotificationOutboxConformanceTests : AlertingConformanceTests
{
    [Fact]
    public async Task The_outbox_keeps_one_message_per_key()
    {
        Assert.True(await Stores.Outbox.TryEnqueueAsync(Message("a1")));
        Assert.False(await Stores.Outbox.TryEnqueueAsync(Message("a1") with { Body = "again" }));
        Assert.True(await Stores.Outbox.TryEnqueueAsync(Message("a1", "resolved")));

        var all = await Stores.Outbox.ListAsync();
        Assert.Equal(2, all.Count);
        Assert.Equal("body", all.Single(m => m.Key.Event == "fired").Body);
    }

    [Fact]
    public async Task A_message_round_trips_with_an_id_assigned_by_the_store()
    {
        var message = Message("a1") with
        {
            Platform = "webhook",
            Destination = "https://hooks.example.com/x?token=1",
            Title = "ünï \"title\"",
            Body = "line 1\nline 2",
            Payload = """{ "b": 1, "a": [true, null],  "text": "ünï" }""",
            NextAttemptAt = T0.AddSeconds(3),
        };

        await Stores.Outbox.TryEnqueueAsync(message);
        await Stores.Outbox.TryEnqueueAsync(Message("a2"));

        var listed = await Stores.Outbox.ListAsync();
        Assert.Equal(["a2", "a1"], listed.Select(m => m.Key.Subject));
        Assert.True(listed[1].Id > 0);
        Assert.True(listed[0].Id > listed[1].Id);
        // The payload is what the webhook receives: kept as written, not normalised.
        Assert.Equal(message with { Id = listed[1].Id }, listed[1]);
        Assert.Equal((OutboxState.Pending, 0, (string?)null, (DateTimeOffset?)null), (listed[1].State, listed[1].Attempts, listed[1].LastError, listed[1].DeliveredAt));
    }

    [Fact]
    public async Task Due_messages_are_leased_oldest_first_and_at_most_max()
    {
        foreach (var subject in new[] { "a1", "a2", "a3", "a4" })
        {
            await Stores.Outbox.TryEnqueueAsync(Message(subject));
        }

        await Stores.Outbox.TryEnqueueAsync(Message("later", due: T0.AddSeconds(1)));

        Assert.Equal(["a1", "a2", "a3"], (await Stores.Outbox.LeaseDueAsync(T0, Lease, 3)).Select(m => m.Key.Subject));
        Assert.Equal(["a4"], (await Stores.Outbox.LeaseDueAsync(T0, Lease, 3)).Select(m => m.Key.Subject));
        Assert.Empty(await Stores.Outbox.LeaseDueAsync(T0, Lease, 3));
        Assert.Equal(["later"], (await Stores.Outbox.LeaseDueAsync(T0.AddSeconds(1), Lease, 3)).Select(m => m.Key.Subject));
    }

    [Fact]
    public async Task Leased_messages_are_hidden_from_other_drainers_until_the_lease_ends()
    {
        await Stores.Outbox.TryEnqueueAsync(Message("a1"));
        await Stores.Outbox.TryEnqueueAsync(Message("a2", due: T0.AddMinutes(10)));
        var otherDrainer = CreateReplicaStores().Outbox;

        var leased = await Stores.Outbox.LeaseDueAsync(T0, Lease, 10);
        Assert.Equal("a1", Assert.Single(leased).Key.Subject);
        Assert.Empty(await otherDrainer.LeaseDueAsync(T0.AddMinutes(1), Lease, 10));
        Assert.Empty(await otherDrainer.LeaseDueAsync(T0 + Lease - TimeSpan.FromMilliseconds(1), Lease, 10));

        // The first drainer died: its message goes to the next one once the lease ran out.
        Assert.Equal("a1", Assert.Single(await otherDrainer.LeaseDueAsync(T0 + Lease, Lease, 10)).Key.Subject);
    }

    [Fact]
    public async Task Drainers_leasing_at_once_never_get_the_same_message()
    {
        for (var i = 0; i < 30; i++)
        {
            await Stores.Outbox.TryEnqueueAsync(Message($"a{i:D2}"));
        }

        var batches = await RunConcurrentlyAsync(6, Replicas(2), (stores, _) => stores.Outbox.LeaseDueAsync(T0, Lease, 8));
        var raced = batches.SelectMany(batch => batch.Select(m => m.Id)).ToList();
        var rest = (await Stores.Outbox.LeaseDueAsync(T0, Lease, 100)).Select(m => m.Id).ToList();

        Assert.Equal(raced.Count, raced.Distinct().Count());
        Assert.Empty(raced.Intersect(rest));
        Assert.Equal(30, raced.Count + rest.Count);
    }

    [Fact]
    public async Task Retries_failures_and_deliveries_are_recorded()
    {
        await Stores.Outbox.TryEnqueueAsync(Message("a1"));
        await Stores.Outbox.TryEnqueueAsync(Message("a2"));
        var (first, second) = ((await Stores.Outbox.LeaseDueAsync(T0, Lease, 10))[0], (await Stores.Outbox.LeaseDueAsync(T0.AddMinutes(5), Lease, 10)).Single(m => m.Key.Subject == "a2"));

        // A retry ends the lease: the message is due again at its next attempt, not at the lease's end.
        await Stores.Outbox.ScheduleRetryAsync(first.Id, 1, T0.AddSeconds(30), "SMTP 451 try later");
        Assert.DoesNotContain(await Stores.Outbox.LeaseDueAsync(T0.AddSeconds(29), Lease, 10), m => m.Id == first.Id);
        var retried = Assert.Single(await Stores.Outbox.LeaseDueAsync(T0.AddSeconds(30), Lease, 10), m => m.Id == first.Id);
        Assert.Equal((1, "SMTP 451 try later", T0.AddSeconds(30), OutboxState.Pending), (retried.Attempts, retried.LastError, retried.NextAttemptAt, retried.State));

        await Stores.Outbox.MarkDeliveredAsync(first.Id, 2, T0.AddMinutes(1));
        await Stores.Outbox.MarkFailedAsync(second.Id, 1, "SMTP 550 no such user", T0.AddMinutes(5));

        var delivered = Assert.Single(await Stores.Outbox.ListAsync(OutboxState.Delivered));
        Assert.Equal((first.Id, 2, T0.AddMinutes(1), (string?)null), (delivered.Id, delivered.Attempts, delivered.DeliveredAt!.Value, delivered.LastError));
        var failed = Assert.Single(await Stores.Outbox.ListAsync(OutboxState.Failed));
        Assert.Equal((second.Id, 1, "SMTP 550 no such user", (DateTimeOffset?)null), (failed.Id, failed.Attempts, failed.LastError, failed.DeliveredAt));
        Assert.Empty(await Stores.Outbox.ListAsync(OutboxState.Pending));

        // Delivered and given-up messages are never sent again.
        Assert.Empty(await Stores.Outbox.LeaseDueAsync(T0.AddDays(1), Lease, 10));
    }

    [Fact]
    public async Task A_message_retried_until_given_up_keeps_its_last_error()
    {
        await Stores.Outbox.TryEnqueueAsync(Message("a1"));
        var now = T0;
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var leased = Assert.Single(await Stores.Outbox.LeaseDueAsync(now, Lease, 10));
            Assert.Equal(attempt - 1, leased.Attempts);
            now = now.AddSeconds(10 * attempt);
            await Stores.Outbox.ScheduleRetryAsync(leased.Id, attempt, now, $"HTTP 503 (attempt {attempt})");
        }

        var last = Assert.Single(await Stores.Outbox.LeaseDueAsync(now, Lease, 10));
        await Stores.Outbox.MarkFailedAsync(last.Id, 4, "HTTP 503 (attempt 4)", now);

        var failed = Assert.Single(await Stores.Outbox.ListAsync());
        Assert.Equal((OutboxState.Failed, 4, "HTTP 503 (attempt 4)"), (failed.State, failed.Attempts, failed.LastError));
        Assert.Empty(await Stores.Outbox.LeaseDueAsync(now.AddDays(1), Lease, 10));
    }

    [Fact]
    public async Task Lists_are_newest_first_filtered_by_state_and_limited()
    {
        for (var i = 1; i <= 5; i++)
        {
            await Stores.Outbox.TryEnqueueAsync(Message($"a{i}"));
        }

        var all = await Stores.Outbox.ListAsync();
        await Stores.Outbox.MarkDeliveredAsync(all.Single(m => m.Key.Subject == "a2").Id, 1, T0);
        await Stores.Outbox.MarkDeliveredAsync(all.Single(m => m.Key.Subject == "a4").Id, 1, T0);

        Assert.Equal(["a5", "a4", "a3", "a2", "a1"], all.Select(m => m.Key.Subject));
        Assert.Equal(["a5", "a4"], (await Stores.Outbox.ListAsync(limit: 2)).Select(m => m.Key.Subject));
        Assert.Equal(["a4", "a2"], (await Stores.Outbox.ListAsync(OutboxState.Delivered)).Select(m => m.Key.Subject));
        Assert.Equal(["a5", "a3"], (await Stores.Outbox.ListAsync(OutboxState.Pending, 2)).Select(m => m.Key.Subject));
        Assert.Empty(await Stores.Outbox.ListAsync(OutboxState.Failed));
    }
}
