using ChatOps.Core.Events;

namespace ChatOps.Embedded.Bus.Internal;

/// <summary>
/// The append-only log of one partition: offsets grow forever, the oldest entries are trimmed from
/// the front. A ring buffer, so trimming and appending cost O(1). Not thread-safe: guarded by the
/// topic's lock.
/// </summary>
internal sealed class PartitionLog
{
    private const int InitialCapacity = 16;

    private Envelope?[] _buffer = new Envelope?[InitialCapacity];
    private int _head;

    public int Count { get; private set; }

    /// <summary>The offset of the oldest retained entry (equal to <see cref="EndOffset"/> when empty).</summary>
    public long StartOffset { get; private set; }

    /// <summary>The offset the next appended entry gets.</summary>
    public long EndOffset => StartOffset + Count;

    public long Append(Envelope envelope)
    {
        if (Count == _buffer.Length)
        {
            Grow();
        }

        _buffer[(_head + Count) % _buffer.Length] = envelope;
        Count++;
        return EndOffset - 1;
    }

    public bool TryRead(long offset, out Envelope envelope)
    {
        if (offset < StartOffset || offset >= EndOffset)
        {
            envelope = null!;
            return false;
        }

        envelope = _buffer[(int)((_head + (offset - StartOffset)) % _buffer.Length)]!;
        return true;
    }

    /// <summary>Drops every entry below <paramref name="offset"/>; returns how many were dropped.</summary>
    public int TrimBefore(long offset)
    {
        var dropped = 0;
        while (Count > 0 && StartOffset < offset)
        {
            _buffer[_head] = null;
            _head = (_head + 1) % _buffer.Length;
            Count--;
            StartOffset++;
            dropped++;
        }

        if (Count == 0)
        {
            _head = 0;
        }

        return dropped;
    }

    private void Grow()
    {
        var larger = new Envelope?[_buffer.Length * 2];
        for (var i = 0; i < Count; i++)
        {
            larger[i] = _buffer[(_head + i) % _buffer.Length];
        }

        _buffer = larger;
        _head = 0;
    }
}
