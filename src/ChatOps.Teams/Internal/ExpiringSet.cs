using System.Collections.Concurrent;

namespace ChatOps.Teams.Internal;

/// <summary>
/// Keys seen recently (activity ids, reply dedupe keys): <see cref="TryAdd"/> is true only for the
/// first sighting within <c>ttl</c>. Bounded, so a flood of distinct keys cannot exhaust memory.
/// </summary>
internal sealed class ExpiringSet(TimeProvider time, TimeSpan ttl, int maxEntries)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);

    public bool TryAdd(string key)
    {
        var now = time.GetUtcNow();
        if (_seen.Count >= maxEntries) Prune(now);
        // AddOrUpdate may run a delegate more than once under contention: the last one run decides.
        var added = false;
        _seen.AddOrUpdate(key,
            _ =>
            {
                added = true;
                return now;
            },
            (_, seenAt) =>
            {
                added = now - seenAt >= ttl;
                return added ? now : seenAt;
            });
        return added;
    }

    /// <summary>Forgets a key, e.g. when handling it failed and a retry must be let through.</summary>
    public void Remove(string key) => _seen.TryRemove(key, out _);

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, seenAt) in _seen)
        {
            if (now - seenAt >= ttl) _seen.TryRemove(key, out _);
        }

        if (_seen.Count >= maxEntries)
        {
            foreach (var (key, _) in _seen.OrderBy(e => e.Value).Take(maxEntries / 2).ToList())
                _seen.TryRemove(key, out _);
        }
    }
}
