using ChatOps.Core.Ports;

namespace ChatOps.Embedded.State;

/// <summary>
/// The in-process <see cref="IAgentRegistry"/>: one connection per server, gone when its TTL passes
/// without a refresh. Refresh and remove act only on the connection they name, so a stale gateway
/// cannot extend or delete the entry of an agent that reconnected elsewhere.
/// </summary>
public sealed class InMemoryAgentRegistry(TimeProvider? timeProvider = null) : IAgentRegistry
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly Lock _sync = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public Task RegisterAsync(AgentConnection connection, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrWhiteSpace(connection.ServerId, nameof(connection));
        ArgumentException.ThrowIfNullOrWhiteSpace(connection.NodeId, nameof(connection));
        ArgumentException.ThrowIfNullOrWhiteSpace(connection.ConnectionId, nameof(connection));
        ArgumentNullException.ThrowIfNull(connection.Capabilities, nameof(connection));
        StateArguments.RequirePositive(ttl);
        cancellationToken.ThrowIfCancellationRequested();

        // A copy of the list: the caller must not be able to change what the registry holds.
        var stored = connection with { Capabilities = [.. connection.Capabilities] };
        lock (_sync)
        {
            _entries[connection.ServerId] = new Entry(stored, _time.GetUtcNow() + ttl);
        }

        return Task.CompletedTask;
    }

    public Task<bool> RefreshAsync(string serverId, string connectionId, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionId);
        StateArguments.RequirePositive(ttl);
        cancellationToken.ThrowIfCancellationRequested();

        lock (_sync)
        {
            var now = _time.GetUtcNow();
            if (!TryGetLive(serverId, now, out var entry) || entry.Connection.ConnectionId != connectionId)
            {
                return Task.FromResult(false);
            }

            _entries[serverId] = entry with { ExpiresAt = now + ttl };
            return Task.FromResult(true);
        }
    }

    public Task<bool> RemoveAsync(string serverId, string connectionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionId);
        cancellationToken.ThrowIfCancellationRequested();

        lock (_sync)
        {
            if (!TryGetLive(serverId, _time.GetUtcNow(), out var entry) || entry.Connection.ConnectionId != connectionId)
            {
                return Task.FromResult(false);
            }

            _entries.Remove(serverId);
            return Task.FromResult(true);
        }
    }

    public Task<AgentConnection?> GetAsync(string serverId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        cancellationToken.ThrowIfCancellationRequested();

        lock (_sync)
        {
            return Task.FromResult(TryGetLive(serverId, _time.GetUtcNow(), out var entry) ? entry.Connection : null);
        }
    }

    /// <summary>Live connections ordered by server id.</summary>
    public Task<IReadOnlyList<AgentConnection>> ListAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();

        lock (_sync)
        {
            var now = _time.GetUtcNow();
            PurgeExpired(now);
            IReadOnlyList<AgentConnection> live = [.. _entries.Values.Select(e => e.Connection).OrderBy(c => c.ServerId, StringComparer.Ordinal)];
            return Task.FromResult(live);
        }
    }

    private bool TryGetLive(string serverId, DateTimeOffset now, out Entry entry)
    {
        if (_entries.TryGetValue(serverId, out entry!) && entry.ExpiresAt > now)
        {
            return true;
        }

        // Forget expired entries as we meet them, like Redis does with a TTL.
        _entries.Remove(serverId);
        return false;
    }

    private void PurgeExpired(DateTimeOffset now)
    {
        foreach (var (serverId, entry) in _entries)
        {
            if (entry.ExpiresAt <= now)
            {
                _entries.Remove(serverId);
            }
        }
    }

    private sealed record Entry(AgentConnection Connection, DateTimeOffset ExpiresAt);
}
