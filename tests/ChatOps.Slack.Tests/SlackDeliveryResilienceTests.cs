using ChatOps.Tests.Shared;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite;
using ChatOps.Embedded.Tests.Store;
using ChatOps.Slack.Internal;
using ChatOps.Slack.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Slack.Tests;

/// <summary>
/// Reliability test 22 for Slack: 429 with Retry-After, 5xx bursts and timeouts are survived with
/// nothing lost and nothing doubled; posting is paced per channel; final errors carry Slack's code.
/// </summary>
public sealed class SlackDeliveryResilienceTests : IAsyncLifetime
{
    private readonly FakeSlackApi _slack = new();
    private SqliteTestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await SqliteTestDatabase.CreateAsync();

    public async Task DisposeAsync()
    {
        _slack.Dispose();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task A_429_is_waited_out_for_exactly_its_Retry_After_then_the_message_goes_through()
    {
        var time = new TimerWatchingTimeProvider(new FakeTimeProvider(DateTimeOffset.UtcNow));
        var api = Api(time);
        var attempts = 0;
        _slack.Fault = _ => Interlocked.Increment(ref attempts) == 1 ? new FakeReply(429, """{"ok":false,"error":"ratelimited"}""", RetryAfter: "7") : null;

        var post = api.PostMessageAsync("C0CHAN001", new SlackMessage("hello"));
        var wait = await time.WaitForTimerAsync(d => d == TimeSpan.FromSeconds(7));
        time.Fake.Advance(TimeSpan.FromSeconds(6.9));
        var callsBeforeRetryAfter = _slack.Calls.Snapshot.Count;
        var doneEarly = post.IsCompleted;
        time.Fake.Advance(TimeSpan.FromSeconds(0.1));
        var ts = await post.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(TimeSpan.FromSeconds(7), wait);
        Assert.Equal(1, callsBeforeRetryAfter);
        Assert.False(doneEarly);
        Assert.Equal(2, _slack.Calls.Snapshot.Count);
        Assert.Single(_slack.Delivered("chat.postMessage"));
        Assert.Matches(@"^\d+\.\d{6}$", ts);
    }

    [Fact]
    public async Task Output_that_piles_up_behind_a_rate_limit_is_batched_not_dropped()
    {
        var time = new TimerWatchingTimeProvider(new FakeTimeProvider(DateTimeOffset.UtcNow));
        var (client, _) = Client(time);
        var attempts = 0;
        _slack.Fault = _ => Interlocked.Increment(ref attempts) == 1 ? new FakeReply(429, """{"ok":false,"error":"ratelimited"}""", RetryAfter: "2") : null;
        var thread = Thread("C0CHAN001");

        await client.PostReplyAsync(thread, new ChatReply("chunk 1\n", ReplyKind.Output, "cmd1:out:1"));
        await time.WaitForTimerAsync(d => d == TimeSpan.FromSeconds(2));
        for (var seq = 2; seq <= 50; seq++)
            await client.PostReplyAsync(thread, new ChatReply($"chunk {seq}\n", ReplyKind.Output, $"cmd1:out:{seq}"));
        time.Fake.Advance(TimeSpan.FromSeconds(2));
        var done = client.PostReplyAsync(thread, new ChatReply("done", ReplyKind.Status, "cmd1:done"));
        await done.WaitAsync(TimeSpan.FromSeconds(10));

        var output = _slack.Delivered("chat.postMessage").Where(c => c.Text.StartsWith("```", StringComparison.Ordinal)).ToList();
        var text = string.Concat(output.Select(c => c.Text));
        Assert.True(output.Count <= 2, $"{output.Count} output messages for 50 chunks");
        var positions = Enumerable.Range(1, 50).Select(seq => text.IndexOf($"chunk {seq}\n", StringComparison.Ordinal)).ToList();
        Assert.All(positions, p => Assert.True(p >= 0));
        Assert.Equal(positions.Order(), positions);
    }

    [Fact]
    public async Task Bursts_of_5xx_on_two_channels_lose_nothing_and_double_nothing()
    {
        var (client, _) = Client(TimeProvider.System);
        var perChannel = new Dictionary<string, int>();
        _slack.Fault = call =>
        {
            lock (perChannel)
            {
                var n = perChannel[call.Channel ?? ""] = perChannel.GetValueOrDefault(call.Channel ?? "") + 1;
                // Every channel sees runs of four failures (503, 502, 500, 504), then three successes.
                return (n % 7) switch
                {
                    1 => new FakeReply(503, "upstream unavailable"),
                    2 => new FakeReply(502, "bad gateway"),
                    3 => new FakeReply(500, """{"ok":false,"error":"internal_error"}"""),
                    4 => new FakeReply(504, "gateway timeout"),
                    _ => null,
                };
            }
        };

        var sends = new List<Task>();
        foreach (var channel in new[] { "C0CHAN00A", "C0CHAN00B" })
        {
            var thread = Thread(channel);
            for (var i = 1; i <= 25; i++)
            {
                sends.Add(client.PostReplyAsync(thread, new ChatReply($"status {channel} {i}", ReplyKind.Status, $"{channel}:s:{i}")));
                sends.Add(client.PostReplyAsync(thread, new ChatReply($"out {channel} {i}\n", ReplyKind.Output, $"cmd{channel}:out:{i}")));
            }

            sends.Add(client.UpdateCommandAsync(thread, new CommandView("cmd" + channel, "web-1", "run uptime on web-1", "Alice", CommandState.Succeeded, 0, TimeSpan.FromSeconds(1), null)));
        }

        await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(60));
        foreach (var channel in new[] { "C0CHAN00A", "C0CHAN00B" })
        {
            // Output sent last in the queue is flushed by a final awaited status post.
            await client.PostReplyAsync(Thread(channel), new ChatReply("flush", ReplyKind.Status, channel + ":flush"));
        }

        var delivered = _slack.Delivered("chat.postMessage");
        foreach (var channel in new[] { "C0CHAN00A", "C0CHAN00B" })
        {
            var posts = delivered.Where(c => c.Channel == channel).ToList();
            var output = string.Concat(posts.Where(c => c.Text.StartsWith("```", StringComparison.Ordinal)).Select(c => c.Text));
            for (var i = 1; i <= 25; i++)
            {
                Assert.Single(posts, c => c.Text == $"status {channel} {i}");
                Assert.Equal(1, Occurrences(output, $"out {channel} {i}\n"));
            }
        }

        Assert.Equal(2, _slack.Delivered("chat.update").Count);
        Assert.Contains(_slack.Calls.Snapshot, c => c.Status == 503);
        Assert.Contains(_slack.Calls.Snapshot, c => c.Status == 504);
    }

    [Fact]
    public async Task A_call_that_times_out_is_retried()
    {
        var api = Api(TimeProvider.System, o => o.RequestTimeout = TimeSpan.FromSeconds(1));
        await api.PostMessageAsync("C0CHAN001", new SlackMessage("warm-up")); // first calls are slow (JIT), not what is tested
        var release = new TaskCompletionSource();
        var calls = 0;
        _slack.Hold = _ => Interlocked.Increment(ref calls) == 1 ? release.Task : null;

        try
        {
            var ts = await api.PostMessageAsync("C0CHAN001", new SlackMessage("slow")).WaitAsync(TimeSpan.FromSeconds(10));

            Assert.Equal(2, _slack.Calls.Snapshot.Count(c => c.Text == "slow"));
            Assert.NotNull(ts);
        }
        finally
        {
            release.SetResult();
        }
    }

    [Fact]
    public async Task When_5xx_never_ends_the_error_is_surfaced_after_the_configured_attempts()
    {
        var api = Api(TimeProvider.System, o => o.MaxAttempts = 3);
        _slack.Fault = _ => new FakeReply(503, "down");

        var error = await Assert.ThrowsAsync<ChatDeliveryException>(() => api.PostMessageAsync("C0CHAN001", new SlackMessage("x")));

        Assert.Equal("http_503", error.ErrorCode);
        Assert.Equal(3, _slack.Calls.Snapshot.Count);
    }

    [Fact]
    public async Task Ok_false_is_final_and_carries_slacks_error_code()
    {
        var api = Api(TimeProvider.System);
        _slack.Fault = _ => new FakeReply(200, """{"ok":false,"error":"channel_not_found"}""");

        var error = await Assert.ThrowsAsync<ChatDeliveryException>(() => api.UpdateMessageAsync("C0GONE001", "1.2", new SlackMessage("x")));

        Assert.Equal("channel_not_found", error.ErrorCode);
        Assert.Single(_slack.Calls.Snapshot); // not retried: it will not get better
    }

    [Fact]
    public async Task Posts_into_one_channel_are_paced_while_other_channels_go_on()
    {
        var time = new TimerWatchingTimeProvider(new FakeTimeProvider(DateTimeOffset.UtcNow));
        var (client, _) = Client(time, o => o.ChannelInterval = TimeSpan.FromSeconds(1));

        await client.PostReplyAsync(Thread("C0CHAN00A"), new ChatReply("a1", ReplyKind.Status, "a1"));
        var second = client.PostReplyAsync(Thread("C0CHAN00A"), new ChatReply("a2", ReplyKind.Status, "a2"));
        var pause = await time.WaitForTimerAsync(d => d == TimeSpan.FromSeconds(1));
        await client.PostReplyAsync(Thread("C0CHAN00B"), new ChatReply("b1", ReplyKind.Status, "b1"));
        var beforeAdvance = _slack.Delivered("chat.postMessage").Select(c => c.Text).ToList();
        time.Fake.Advance(TimeSpan.FromSeconds(1));
        await second.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(TimeSpan.FromSeconds(1), pause);
        Assert.Equal(["a1", "b1"], beforeAdvance);
        Assert.Equal(["a1", "b1", "a2"], _slack.Delivered("chat.postMessage").Select(c => c.Text).ToList());
    }

    [Fact]
    public async Task Updates_waiting_for_the_same_message_go_as_one_and_an_update_after_it_left_goes_again()
    {
        var time = TimeProvider.System;
        var (_, outbox) = Client(time);
        var held = new TaskCompletionSource();
        _slack.Gate = held.Task;
        var inFlight = outbox.Enqueue(Outbound.Post("C0CHAN00A", null, new SlackMessage("root")));
        var version = 1;
        var first = outbox.Enqueue(Outbound.Update("C0CHAN00A", "1700000000.000100", () => new SlackMessage($"A v{version}")));
        var second = outbox.Enqueue(Outbound.Update("C0CHAN00A", "1700000000.000100", () => new SlackMessage($"A v{version}")));
        var other = outbox.Enqueue(Outbound.Update("C0CHAN00A", "1700000000.000200", () => new SlackMessage("B")));
        version = 2;
        _slack.Gate = null;
        held.SetResult();
        await Task.WhenAll(inFlight, first, second, other).WaitAsync(TimeSpan.FromSeconds(10));
        await outbox.Enqueue(Outbound.Update("C0CHAN00A", "1700000000.000100", () => new SlackMessage("A v3"))).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Same(first, second);
        Assert.Equal(["A v2", "B", "A v3"], _slack.Delivered("chat.update").Select(c => c.Text));
    }

    [Fact]
    public async Task A_few_thread_roots_skip_the_pace_so_their_acks_are_not_held_then_the_pace_applies_again()
    {
        var time = new TimerWatchingTimeProvider(new FakeTimeProvider(DateTimeOffset.UtcNow));
        var (_, outbox) = Client(time, o =>
        {
            o.ChannelInterval = TimeSpan.FromSeconds(1);
            o.RootBurst = 2;
        });
        await outbox.Enqueue(Outbound.Post("C0CHAN00A", "1700000000.000100", new SlackMessage("reply")));

        var roots = Enumerable.Range(1, 3).Select(i => outbox.Enqueue(Outbound.Post("C0CHAN00A", null, new SlackMessage($"root {i}")), first: true)).ToList();
        var after = outbox.Enqueue(Outbound.Post("C0CHAN00A", "1700000000.000100", new SlackMessage("later reply")));
        await Task.WhenAll(roots[0], roots[1]).WaitAsync(TimeSpan.FromSeconds(10));
        var pause = await time.WaitForTimerAsync(d => d == TimeSpan.FromSeconds(1));
        var sentInBurst = _slack.Delivered("chat.postMessage").Select(c => c.Text).ToList();
        time.Fake.Advance(TimeSpan.FromSeconds(1));
        await roots[2].WaitAsync(TimeSpan.FromSeconds(10));
        await time.WaitForTimerAsync(d => d == TimeSpan.FromSeconds(1), nth: 2);
        var afterThird = after.IsCompleted;
        time.Fake.Advance(TimeSpan.FromSeconds(1));
        await after.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["reply", "root 1", "root 2"], sentInBurst);
        Assert.Equal(TimeSpan.FromSeconds(1), pause);
        Assert.False(afterThird);
        Assert.Equal(["reply", "root 1", "root 2", "root 3", "later reply"], _slack.Delivered("chat.postMessage").Select(c => c.Text));
    }

    [Fact]
    public async Task A_steady_stream_of_thread_roots_bursts_once_then_keeps_the_channel_pace()
    {
        // Regression: the root allowance refilled by time alone on top of the pace, so a stream of roots went out at 2 a second.
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        _slack.Clock = clock;
        var (_, outbox) = Client(clock, o =>
        {
            o.ChannelInterval = TimeSpan.FromSeconds(1);
            o.RootBurst = 3;
            o.RequestTimeout = TimeSpan.FromMinutes(17);
        });

        var roots = Enumerable.Range(1, 20).Select(i => outbox.Enqueue(Outbound.Post("C0CHAN00A", null, new SlackMessage($"root {i}")), first: true)).ToList();
        var all = Task.WhenAll(roots);
        while (!all.IsCompleted)
        {
            var (pending, changed) = clock.Snapshot();
            var waits = pending.Where(t => t.Length != TimeSpan.FromMinutes(17)).ToList();
            if (waits.Count > 0) clock.AdvanceTo(waits.Min(t => t.DueAt));
            else await Task.WhenAny(all, changed).WaitAsync(TimeSpan.FromSeconds(10));
        }

        await all;
        var sent = _slack.Delivered("chat.postMessage").Select(c => c.At).ToList();
        Assert.Equal(20, sent.Count);
        // Four at once (the first and a burst of three), then one a second: the 20th goes 16 s after the first.
        Assert.Equal(4, sent.Count(at => at == sent[0]));
        Assert.Equal(TimeSpan.FromSeconds(16), sent[^1] - sent[0]);
        Assert.All(sent.Skip(4).Zip(sent.Skip(5)), pair => Assert.Equal(TimeSpan.FromSeconds(1), pair.Second - pair.First));
    }

    private static int Occurrences(string text, string piece)
    {
        var count = 0;
        for (var at = text.IndexOf(piece, StringComparison.Ordinal); at >= 0; at = text.IndexOf(piece, at + piece.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    private static ChatRef Thread(string channel) =>
        new("slack", channel, "1700000000.000100", new Dictionary<string, string> { ["root"] = "1700000000.000100", ["request"] = "req1" });

    private SlackOptions Options(Action<SlackOptions>? configure)
    {
        var options = new SlackOptions
        {
            SigningSecret = "secret",
            BotToken = "xoxb-test",
            ApiBaseUrl = _slack.ApiBaseUrl,
            ChannelInterval = TimeSpan.Zero,
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
            MaxRetryDelay = TimeSpan.FromMilliseconds(40),
        };
        configure?.Invoke(options);
        return options;
    }

    private SlackWebApiClient Api(TimeProvider time, Action<SlackOptions>? configure = null) =>
        new(new HttpClient(), Options(configure), time, NullLogger<SlackWebApiClient>.Instance);

    private (SlackChatClient Client, SlackOutbox Outbox) Client(TimeProvider time, Action<SlackOptions>? configure = null)
    {
        var options = Options(configure);
        var api = new SlackWebApiClient(new HttpClient(), options, time, NullLogger<SlackWebApiClient>.Instance);
        var outbox = new SlackOutbox(api, options, time, NullLogger<SlackOutbox>.Instance);
        var pendingRoots = new PendingRoots(new SqliteNotificationLedger(_database.Connections), options, time, NullLogger<PendingRoots>.Instance);
        return (new SlackChatClient(outbox, new SlackRoots(time), pendingRoots, options, time, NullLogger<SlackChatClient>.Instance), outbox);
    }
}
