using ChatOps.Core.Domain;
using ChatOps.Core.Ports;

namespace ChatOps.Embedded.State;

/// <summary>
/// The in-process <see cref="IMetricsCache"/>: the last snapshot stored per server, for
/// <see cref="IMetricsCache.Ttl"/> from when it was stored (like Redis <c>SET ... EX 60</c>), so a
/// server that stops reporting drops out after a minute whatever its own clock said.
/// </summary>
public sealed class InMemoryMetricsCache(TimeProvider? timeProvider = null) : IMetricsCache
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly Lock _sync = new();
    private readonly Dictionary<string, (MetricSnapshot Snapshot, DateTimeOffset ExpiresAt)> _latest = new(StringComparer.Ordinal);
    private DateTimeOffset _nextPurge = DateTimeOffset.MinValue;

    public Task SetLatestAsync(MetricSnapshot snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentException.ThrowIfNullOrWhiteSpace(snapshot.ServerId, nameof(snapshot));
        ArgumentNullException.ThrowIfNull(snapshot.Samples, nameof(snapshot));
        cancellationToken.ThrowIfCancellationRequested();

        lock (_sync)
        {
            var now = _time.GetUtcNow();
            PurgeExpired(now);
            _latest[snapshot.ServerId] = (snapshot, now + IMetricsCache.Ttl);
        }

        return Task.CompletedTask;
    }

    public Task<MetricSnapshot?> GetLatestAsync(string serverId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        cancellationToken.ThrowIfCancellationRequested();

        lock (_sync)
        {
            var live = _latest.TryGetValue(serverId, out var entry) && entry.ExpiresAt > _time.GetUtcNow();
            return Task.FromResult(live ? entry.Snapshot : null);
        }
    }

    // Servers that were removed stop reporting; without this their last snapshot would stay forever.
    // Once per TTL is enough and keeps a set O(1) on average.
    private void PurgeExpired(DateTimeOffset now)
    {
        if (now < _nextPurge)
        {
            return;
        }

        _nextPurge = now + IMetricsCache.Ttl;
        foreach (var (serverId, entry) in _latest)
        {
            if (entry.ExpiresAt <= now)
            {
                _latest.Remove(serverId);
            }
        }
    }
}
