using ChatOps.Core.Domain;
using static ChatOps.Conformance.Store.StoreTestData;

namespace ChatOps.Conformance.Store;

public abstract class ChatThreadStoreConformanceTests : StoreConformanceTests
{
    private static ChatThread Thread(string id) => new(id, "web", "u-alice", null, T0);

    [Fact]
    public async Task A_thread_is_created_once_and_comes_back_with_every_field()
    {
        Assert.True(await Stores.ChatThreads.CreateThreadAsync(Thread("t-1")));
        Assert.False(await Stores.ChatThreads.CreateThreadAsync(Thread("t-1") with { UserId = "u-mallory" }));

        Assert.Equal(Thread("t-1"), await Stores.ChatThreads.GetThreadAsync("t-1"));
        Assert.Null(await Stores.ChatThreads.GetThreadAsync("t-unknown"));
    }

    [Fact]
    public async Task SetCommand_points_the_thread_at_its_command()
    {
        await Stores.ChatThreads.CreateThreadAsync(Thread("t-1"));

        await Stores.ChatThreads.SetCommandAsync("t-1", "cmd-7");

        Assert.Equal(Thread("t-1") with { CommandId = "cmd-7" }, await Stores.ChatThreads.GetThreadAsync("t-1"));
    }

    [Fact]
    public async Task SetCommand_on_an_unknown_thread_is_refused()
    {
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Stores.ChatThreads.SetCommandAsync("t-unknown", "cmd-7"));
    }

    [Fact]
    public async Task Status_is_null_until_set_and_then_the_latest_value()
    {
        await Stores.ChatThreads.CreateThreadAsync(Thread("t-1"));
        await Stores.ChatThreads.CreateThreadAsync(Thread("t-2"));
        Assert.Null(await Stores.ChatThreads.GetStatusAsync("t-1"));

        await Stores.ChatThreads.SetStatusAsync("t-1", "running");
        await Stores.ChatThreads.SetStatusAsync("t-1", "succeeded");

        Assert.Equal("succeeded", await Stores.ChatThreads.GetStatusAsync("t-1"));
        Assert.Null(await Stores.ChatThreads.GetStatusAsync("t-2"));
        Assert.Null(await Stores.ChatThreads.GetStatusAsync("t-unknown"));
    }

    [Fact]
    public async Task SetStatus_on_an_unknown_thread_is_refused()
    {
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Stores.ChatThreads.SetStatusAsync("t-unknown", "running"));
    }

    [Fact]
    public async Task Messages_are_numbered_from_1_per_thread_and_come_back_in_order()
    {
        await Stores.ChatThreads.CreateThreadAsync(Thread("t-1"));
        await Stores.ChatThreads.CreateThreadAsync(Thread("t-2"));

        Assert.Equal(1, await Stores.ChatThreads.AppendMessageAsync("t-1", "u-alice", "/chatops status web-1", At(1), null));
        Assert.Equal(1, await Stores.ChatThreads.AppendMessageAsync("t-2", "u-alice", "other thread", At(1), null));
        Assert.Equal(2, await Stores.ChatThreads.AppendMessageAsync("t-1", "chatops", "web-1 is up", At(2), "ev-1"));
        Assert.Equal(3, await Stores.ChatThreads.AppendMessageAsync("t-1", "chatops", "line <b>2</b>\n", At(3), null));

        Assert.Equal(
            [
                new ChatThreadMessage("t-1", 1, "u-alice", "/chatops status web-1", At(1)),
                new ChatThreadMessage("t-1", 2, "chatops", "web-1 is up", At(2)),
                new ChatThreadMessage("t-1", 3, "chatops", "line <b>2</b>\n", At(3)),
            ],
            await Stores.ChatThreads.GetMessagesAsync("t-1"));
    }

    [Fact]
    public async Task A_used_dedupe_key_returns_the_existing_seq_and_adds_nothing()
    {
        await Stores.ChatThreads.CreateThreadAsync(Thread("t-1"));
        await Stores.ChatThreads.CreateThreadAsync(Thread("t-2"));
        await Stores.ChatThreads.AppendMessageAsync("t-1", "u-alice", "hello", At(1), null);
        await Stores.ChatThreads.AppendMessageAsync("t-1", "chatops", "accepted", At(2), "ev-accepted");
        await Stores.ChatThreads.AppendMessageAsync("t-1", "chatops", "running", At(3), "ev-running");

        Assert.Equal(2, await Stores.ChatThreads.AppendMessageAsync("t-1", "chatops", "accepted (redelivered)", At(4), "ev-accepted"));
        Assert.Equal(1, await Stores.ChatThreads.AppendMessageAsync("t-2", "chatops", "same key, other thread", At(4), "ev-accepted"));

        var messages = await Stores.ChatThreads.GetMessagesAsync("t-1");
        Assert.Equal(["hello", "accepted", "running"], messages.Select(m => m.Text));
    }

    [Fact]
    public async Task Messages_without_a_dedupe_key_are_never_deduplicated()
    {
        await Stores.ChatThreads.CreateThreadAsync(Thread("t-1"));

        Assert.Equal(1, await Stores.ChatThreads.AppendMessageAsync("t-1", "u-alice", "same", At(1), null));
        Assert.Equal(2, await Stores.ChatThreads.AppendMessageAsync("t-1", "u-alice", "same", At(1), null));

        Assert.Equal(2, (await Stores.ChatThreads.GetMessagesAsync("t-1")).Count);
    }

    [Fact]
    public async Task GetMessages_after_a_seq_returns_only_later_messages()
    {
        await Stores.ChatThreads.CreateThreadAsync(Thread("t-1"));
        for (var i = 1; i <= 5; i++)
        {
            await Stores.ChatThreads.AppendMessageAsync("t-1", "chatops", $"m{i}", At(i), null);
        }

        Assert.Equal([4L, 5L], (await Stores.ChatThreads.GetMessagesAsync("t-1", afterSeq: 3)).Select(m => m.Seq));
        Assert.Empty(await Stores.ChatThreads.GetMessagesAsync("t-1", afterSeq: 5));
        Assert.Empty(await Stores.ChatThreads.GetMessagesAsync("t-unknown"));
    }

    [Fact]
    public async Task Concurrent_appends_get_distinct_consecutive_seqs()
    {
        await Stores.ChatThreads.CreateThreadAsync(Thread("t-1"));

        var seqs = await RunConcurrentlyAsync(40, i => Stores.ChatThreads.AppendMessageAsync("t-1", "chatops", $"m{i}", At(i), null));

        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), seqs.Order());
        var messages = await Stores.ChatThreads.GetMessagesAsync("t-1");
        Assert.Equal(seqs.Order(), messages.Select(m => m.Seq));
        // Each call's seq is the seq of the message it wrote.
        Assert.All(Enumerable.Range(0, 40), i => Assert.Equal($"m{i}", messages.Single(m => m.Seq == seqs[i]).Text));
    }

    [Fact]
    public async Task Concurrent_appends_with_one_dedupe_key_store_one_message()
    {
        await Stores.ChatThreads.CreateThreadAsync(Thread("t-1"));

        var seqs = await RunConcurrentlyAsync(20, i => Stores.ChatThreads.AppendMessageAsync("t-1", "chatops", $"copy {i}", At(1), "ev-1"));

        Assert.All(seqs, seq => Assert.Equal(1, seq));
        Assert.Single(await Stores.ChatThreads.GetMessagesAsync("t-1"));
    }

    [Fact]
    public async Task Appending_to_an_unknown_thread_is_refused()
    {
        await Assert.ThrowsAnyAsync<InvalidOperationException>(
            () => Stores.ChatThreads.AppendMessageAsync("t-unknown", "chatops", "lost?", T0, null));

        Assert.Empty(await Stores.ChatThreads.GetMessagesAsync("t-unknown"));
    }
}
