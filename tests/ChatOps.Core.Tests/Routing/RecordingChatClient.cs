using ChatOps.Core.Domain;
using ChatOps.Core.Ports;

namespace ChatOps.Core.Tests.Routing;

/// <summary>A chat platform that remembers every reply and root update, and lets a test wait for one.</summary>
internal sealed class RecordingChatClient : IChatClient
{
    private readonly List<(ChatRef Thread, ChatReply Reply)> _replies = [];
    private readonly List<CommandView> _updates = [];
    private readonly List<(Func<bool> Condition, TaskCompletionSource Done)> _waiters = [];

    public string Platform => "test";

    public Task PostReplyAsync(ChatRef thread, ChatReply reply, CancellationToken cancellationToken = default)
    {
        lock (_replies) _replies.Add((thread, reply));
        Signal();
        return Task.CompletedTask;
    }

    public Task UpdateCommandAsync(ChatRef thread, CommandView view, CancellationToken cancellationToken = default)
    {
        lock (_replies) _updates.Add(view);
        Signal();
        return Task.CompletedTask;
    }

    public IReadOnlyList<string> RepliesFor(string commandId)
    {
        lock (_replies) return _replies.Where(r => r.Reply.DedupeKey.StartsWith(commandId + ":", StringComparison.Ordinal)).Select(r => r.Reply.Text).ToList();
    }

    public CommandView? LastView(string commandId)
    {
        lock (_replies) return _updates.LastOrDefault(v => v.CommandId == commandId);
    }

    /// <summary>Waits until a reply for <paramref name="commandId"/> contains <paramref name="text"/>; returns all its replies.</summary>
    public async Task<string> WaitForReplyAsync(string commandId, string text)
    {
        await WaitAsync(() => RepliesFor(commandId).Any(r => r.Contains(text, StringComparison.Ordinal)),
            () => $"no reply for #{commandId} containing '{text}'; got: {string.Join(" | ", RepliesFor(commandId))}");
        return string.Join("\n", RepliesFor(commandId));
    }

    public async Task WaitForStateAsync(string commandId, CommandState state) =>
        await WaitAsync(() => LastView(commandId)?.State == state,
            () => $"#{commandId} never reached {state}; last view {LastView(commandId)}; replies: {string.Join(" | ", RepliesFor(commandId))}");

    private async Task WaitAsync(Func<bool> condition, Func<string> describe)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_replies)
        {
            if (condition()) return;
            _waiters.Add((condition, done));
        }

        try
        {
            await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(describe());
        }
    }

    private void Signal()
    {
        lock (_replies)
        {
            foreach (var waiter in _waiters.Where(w => w.Condition()).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Done.TrySetResult();
            }
        }
    }
}
