namespace ChatOps.Slack.Internal;

/// <summary>
/// A bounded map whose entries expire: what we remember about recent deliveries (event ids, trigger
/// ids, dedupe keys, root messages). Bounded so that a flood of unique ids cannot grow memory; an
/// entry pushed out early only weakens deduplication, and the router's unique request id still
/// keeps a command from running twice.
/// </summary>
internal sealed class ExpiringCache<T>(TimeProvider time, TimeSpan ttl, int capacity)
{
    private readonly Dictionary<string, (T Value, DateTimeOffset Expires)> _items = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, DateTimeOffset Expires)> _order = new();
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock) return _items.Count;
        }
    }

    /// <summary>The live value for <paramref name="key"/>, or a new one from <paramref name="create"/>.</summary>
    public T GetOrAdd(string key, Func<T> create, out bool added)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (_items.TryGetValue(key, out var entry) && entry.Expires > now)
            {
                added = false;
                return entry.Value;
            }

            var value = create();
            Store(key, value, now);
            added = true;
            return value;
        }
    }

    /// <summary>Adds when absent (or expired); false when a live entry exists.</summary>
    public bool TryAdd(string key, T value)
    {
        GetOrAdd(key, () => value, out var added);
        return added;
    }

    public bool TryGet(string key, out T value)
    {
        lock (_lock)
        {
            if (_items.TryGetValue(key, out var entry) && entry.Expires > time.GetUtcNow())
            {
                value = entry.Value;
                return true;
            }

            value = default!;
            return false;
        }
    }

    public void Set(string key, T value)
    {
        lock (_lock) Store(key, value, time.GetUtcNow());
    }

    public void Remove(string key)
    {
        lock (_lock) _items.Remove(key);
    }

    private void Store(string key, T value, DateTimeOffset now)
    {
        var expires = now + ttl;
        _items[key] = (value, expires);
        _order.Enqueue((key, expires));
        while (_order.Count > 0 && (_order.Peek().Expires <= now || _items.Count > capacity))
        {
            var (oldKey, oldExpires) = _order.Dequeue();
            // Only drop the entry this queue slot was made for; a key stored again lives on.
            if (_items.TryGetValue(oldKey, out var current) && current.Expires == oldExpires) _items.Remove(oldKey);
        }

        // A key stored many times leaves stale slots behind; compact so the queue stays bounded too.
        if (_order.Count > 2 * capacity + 16)
        {
            var live = _order.Where(slot => _items.TryGetValue(slot.Key, out var current) && current.Expires == slot.Expires).ToList();
            _order.Clear();
            foreach (var slot in live) _order.Enqueue(slot);
        }
    }
}
