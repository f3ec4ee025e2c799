using System.Threading.Channels;
using ChatOps.Core.Agents;

namespace ChatOps.Core.Tests.Routing;

/// <summary>An agent connection as the gateway sees it; the test reads what was sent and answers for the agent.</summary>
internal sealed class FakeAgentSession(string serverId, string connectionId = "conn-1") : IAgentSession
{
    private readonly Channel<AgentFrame> _sent = Channel.CreateUnbounded<AgentFrame>();

    public string ConnectionId { get; } = connectionId;
    public string ServerId { get; } = serverId;
    public string? ClosedBecause { get; private set; }

    public Task SendAsync(AgentFrame frame, CancellationToken cancellationToken) => _sent.Writer.WriteAsync(frame, cancellationToken).AsTask();

    public Task CloseAsync(string reason, CancellationToken cancellationToken)
    {
        ClosedBecause = reason;
        return Task.CompletedTask;
    }

    /// <summary>The next frame of type <typeparamref name="T"/> the gateway sent (others are skipped).</summary>
    public async Task<T> NextAsync<T>() where T : AgentFrame
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var frame = await _sent.Reader.ReadAsync(timeout.Token);
            if (frame is T wanted) return wanted;
        }
    }

    public bool TryTakeDispatch(out DispatchFrame? dispatch)
    {
        while (_sent.Reader.TryRead(out var frame))
        {
            if (frame is DispatchFrame found)
            {
                dispatch = found;
                return true;
            }
        }

        dispatch = null;
        return false;
    }
}
