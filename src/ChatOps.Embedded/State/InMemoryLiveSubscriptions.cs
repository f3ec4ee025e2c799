using ChatOps.Core.Ports;

namespace ChatOps.Embedded.State;

/// <summary>
/// The in-process <see cref="ILiveSubscriptions"/>: per server, each watcher with the moment its lease
/// lapses (on the injected clock). Lapsed watchers are dropped whenever their server's set is touched,
/// and a server whose set empties is forgotten, so nothing grows with servers nobody watches any more.
/// </summary>
public sealed class InMemoryLiveSubscriptions(TimeProvider? timeProvider = null) : ILiveSubscriptions
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly Lock _sync = new();
    private readonly Dictionary<string, Dictionary<string, DateTimeOffset>> _servers = new(StringComparer.Ordinal);

    public Task AddAsync(string serverId, string subscriberId, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        ArgumentException.ThrowIfNullOrWhiteSpace(subscriberId);
        StateArguments.RequirePositive(ttl);
        cancellationToken.ThrowIfCancellationRequested();

        lock (_sync)
        {
            var now = _time.GetUtcNow();
            if (!_servers.TryGetValue(serverId, out var members)) _servers[serverId] = members = new(StringComparer.Ordinal);
            Purge(members, now);
            members[subscriberId] = now + ttl;
        }

        return Task.CompletedTask;
    }

    public Task RemoveAsync(string serverId, string subscriberId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        ArgumentException.ThrowIfNullOrWhiteSpace(subscriberId);
        cancellationToken.ThrowIfCancellationRequested();

        lock (_sync)
        {
            if (_servers.TryGetValue(serverId, out var members) && members.Remove(subscriberId) && members.Count == 0) _servers.Remove(serverId);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> MembersAsync(string serverId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_sync) return Task.FromResult<IReadOnlyList<string>>(Live(serverId).Order(StringComparer.Ordinal).ToList());
    }

    public Task<long> CountAsync(string serverId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_sync) return Task.FromResult((long)Live(serverId).Count);
    }

    // Called under the lock.
    private List<string> Live(string serverId)
    {
        if (!_servers.TryGetValue(serverId, out var members)) return [];
        Purge(members, _time.GetUtcNow());
        if (members.Count == 0) _servers.Remove(serverId);
        return [.. members.Keys];
    }

    // A lease lapses at its expiry time, like a Redis key: alive strictly before, gone from then on.
    private static void Purge(Dictionary<string, DateTimeOffset> members, DateTimeOffset now)
    {
        foreach (var (id, expiresAt) in members)
            if (expiresAt <= now) members.Remove(id);
    }
}
