namespace ChatOps.Core.Ports;

/// <summary>
/// The messages of one partition a consumer holds, from the first unfinished one on: in offset order
/// (what may be committed is everything below the first unfinished one) and per key (a message waits
/// until the earlier message of its key has finished). Finished messages above an unfinished one stay
/// counted, so <see cref="Count"/> bounds both the memory held and what a rebalance redelivers.
/// Not thread-safe: the caller locks. Shared by the <see cref="IEventBus"/> implementations, so per-key
/// order and the commit watermark mean the same on every bus.
/// </summary>
public sealed class InFlightWindow<T>
{
    private readonly Queue<Slot> _byOffset = new();

    // A key is present while one of its messages runs; the queue (created on demand) holds its later ones.
    private readonly Dictionary<string, Queue<Slot>?> _busyKeys = new(StringComparer.Ordinal);

    // Set by Abandon: from then on nothing starts, because a key given up is free in _busyKeys and a
    // later message of it would otherwise overtake the abandoned one.
    private bool _abandoned;

    /// <summary>Messages held: running, waiting for their key, or finished above an unfinished one.</summary>
    public int Count => _byOffset.Count;

    /// <summary>The offset of the first message not finished yet; null when every message held has finished.</summary>
    public long? FirstUnfinished => _byOffset.TryPeek(out var first) ? first.Offset : null;

    /// <summary>
    /// Adds the next message (offsets must grow); returns it when it may start now, null when it waits for
    /// its key or a message was abandoned (it then stays unfinished until <see cref="Restart"/> or <see cref="Clear"/>).
    /// </summary>
    public Slot? Admit(long offset, string key, T item)
    {
        var slot = new Slot(offset, key, item);
        _byOffset.Enqueue(slot);
        if (_abandoned)
        {
            return null;
        }

        if (_busyKeys.TryGetValue(key, out var waiting))
        {
            if (waiting is null)
            {
                waiting = new Queue<Slot>();
                _busyKeys[key] = waiting;
            }

            waiting.Enqueue(slot);
            return null;
        }

        _busyKeys.Add(key, null);
        return slot;
    }

    /// <summary>Marks a running message finished; returns the next message of its key, which may start now.</summary>
    public Slot? Complete(Slot slot)
    {
        slot.Finished = true;
        while (_byOffset.TryPeek(out var first) && first.Finished)
        {
            _byOffset.Dequeue();
        }

        if (_busyKeys.TryGetValue(slot.Key, out var waiting) && waiting is not null && waiting.TryDequeue(out var next))
        {
            return next;
        }

        _busyKeys.Remove(slot.Key);
        return null;
    }

    /// <summary>
    /// Gives up a running message (or one about to start): it and the later messages of its key stay
    /// unfinished, so nothing is committed past them. Nothing admitted from now until <see cref="Restart"/>
    /// or <see cref="Clear"/> starts: the taking loop may admit a record it read just before it saw the stop, and a later message
    /// of the abandoned key must not overtake the abandoned one (the next owner handles both, in order).
    /// </summary>
    public void Abandon(Slot slot)
    {
        _abandoned = true;
        _busyKeys.Remove(slot.Key);
    }

    /// <summary>Forgets every message held (the partition went to another owner, who redelivers from the commit).</summary>
    public void Clear()
    {
        _byOffset.Clear();
        _busyKeys.Clear();
        _abandoned = false;
    }

    /// <summary>
    /// Once nothing runs: every unfinished message is due again (for a new owner), in offset order and
    /// one at a time per key; returns those that may start now. Finished ones stay finished.
    /// </summary>
    public List<Slot> Restart()
    {
        _busyKeys.Clear();
        _abandoned = false;
        var starts = new List<Slot>();
        foreach (var slot in _byOffset)
        {
            if (slot.Finished)
            {
                continue;
            }

            if (_busyKeys.TryGetValue(slot.Key, out var waiting))
            {
                if (waiting is null)
                {
                    waiting = new Queue<Slot>();
                    _busyKeys[slot.Key] = waiting;
                }

                waiting.Enqueue(slot);
            }
            else
            {
                _busyKeys.Add(slot.Key, null);
                starts.Add(slot);
            }
        }

        return starts;
    }

    public sealed class Slot(long offset, string key, T item)
    {
        public long Offset { get; } = offset;

        public string Key { get; } = key;

        public T Item { get; } = item;

        public bool Finished { get; set; }
    }
}
