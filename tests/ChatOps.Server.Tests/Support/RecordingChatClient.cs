using ChatOps.Core.Domain;
using ChatOps.Core.Ports;

namespace ChatOps.Server.Tests.Support;

/// <summary>A chat platform named <c>test</c> (stands in for Slack and Teams, so the notifier has somewhere to post).</summary>
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
}
