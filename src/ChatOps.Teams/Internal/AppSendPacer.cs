namespace ChatOps.Teams.Internal;

/// <summary>
/// Keeps all of the bot's sends together under Teams' global limit per app per tenant (30 requests a
/// second in the stored English guidance, 50 in newer copies: the lower one is planned for). Each
/// conversation's own <see cref="SendPacer"/> cannot see the others, and a burst of alerts makes many
/// conversations at once (their replies and card updates would otherwise all go in the same second).
/// Thread-safe: every conversation's sender reserves its slot here.
/// </summary>
internal sealed class AppSendPacer(TimeProvider time)
{
    public const int MaxPerSecond = 30;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly Queue<DateTimeOffset> _slots = new();

    /// <summary>Reserves the earliest slot for one send and returns how long to wait for it (zero: now).</summary>
    public TimeSpan Reserve()
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            while (_slots.Count > 0 && _slots.Peek() <= now - Window) _slots.Dequeue();
            // Slots are handed out in time order, so the window that matters is the one ending at the new slot.
            var slot = _slots.Count > 0 && _slots.Last() > now ? _slots.Last() : now;
            if (_slots.Count >= MaxPerSecond)
            {
                var leaves = _slots.ElementAt(_slots.Count - MaxPerSecond) + Window;
                if (leaves > slot) slot = leaves;
            }

            _slots.Enqueue(slot);
            return slot - now;
        }
    }
}
