namespace ChatOps.Core.Agents;

/// <summary>
/// The nonces a receiver has taken, each kept until the frame it came with could no longer be taken anyway
/// (its expiry plus the clock skew). Bounded: when full, the entry that would be forgotten soonest goes, and
/// from then on every frame expiring no later than it is refused as "cannot rule out a replay". A flood of
/// frames can therefore cost the sender its newest frames' acceptance, but never let a replay through.
/// Thread-safe.
/// </summary>
public sealed class ReplayWindow(int capacity = AgentFrameSigning.ReplayWindowCapacity)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, DateTimeOffset> _byForgetAt = new();
    private DateTimeOffset _floor = DateTimeOffset.MinValue;

    public int Count
    {
        get
        {
            lock (_gate) return _seen.Count;
        }
    }

    /// <summary>Takes <paramref name="nonce"/> unless it was taken before (or might have been); <paramref name="forgetAt"/> is when it may be forgotten.</summary>
    public ReplayCheck TryTake(string nonce, DateTimeOffset forgetAt, DateTimeOffset now)
    {
        lock (_gate)
        {
            while (_byForgetAt.TryPeek(out var oldest, out var at) && at < now)
            {
                _byForgetAt.Dequeue();
                _seen.Remove(oldest);
            }

            if (_seen.ContainsKey(nonce)) return ReplayCheck.Replayed;
            if (forgetAt <= _floor) return ReplayCheck.BeyondMemory;

            if (_seen.Count >= capacity && _byForgetAt.TryDequeue(out var evicted, out var evictedAt))
            {
                _seen.Remove(evicted);
                if (evictedAt > _floor) _floor = evictedAt;
                if (forgetAt <= _floor) return ReplayCheck.BeyondMemory;
            }

            _seen[nonce] = forgetAt;
            _byForgetAt.Enqueue(nonce, forgetAt);
            return ReplayCheck.Fresh;
        }
    }
}

public enum ReplayCheck
{
    Fresh,
    Replayed,

    /// <summary>The window was full and has forgotten nonces that expire as late as this one: it cannot tell.</summary>
    BeyondMemory,
}
