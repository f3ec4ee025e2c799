using ChatOps.Core.Domain;
using ChatOps.Core.Ports;

namespace ChatOps.Server.Tests.Support;

/// <summary>A chat platform named <c>test</c> that keeps every reply (stands in for Slack and Teams).</summary>
public sealed class RecordingChatClient : IChatClient
{
    public const string Name = "test";
    private readonly List<(ChatRef Thread, ChatReply Reply)> _replies = [];

    public string Platform => Name;

    public Task PostReplyAsync(ChatRef thread, ChatReply reply, CancellationToken cancellationToken = default)
    {
        lock (_replies) _replies.Add((thread, reply));
        return Task.CompletedTask;
    }

    public Task UpdateCommandAsync(ChatRef thread, CommandView view, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public IReadOnlyList<string> RepliesIn(string thread)
    {
        lock (_replies) return _replies.Where(r => r.Thread.Thread == thread).Select(r => r.Reply.Text).ToList();
    }
}
