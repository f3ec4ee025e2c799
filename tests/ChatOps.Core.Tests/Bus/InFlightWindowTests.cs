using ChatOps.Core.Ports;

namespace ChatOps.Core.Tests.Bus;

/// <summary>The per-partition window both buses use: per-key order, the commit position, and stopping.</summary>
public sealed class InFlightWindowTests
{
    [Fact]
    public void A_later_message_of_a_busy_key_waits_and_starts_when_the_earlier_one_finishes()
    {
        var window = new InFlightWindow<string>();
        var first = window.Admit(0, "web-1", "a");
        Assert.NotNull(first);
        Assert.Null(window.Admit(1, "web-1", "b"));
        var other = window.Admit(2, "web-2", "c");
        Assert.NotNull(other); // another key of the partition runs alongside

        var next = window.Complete(first);
        Assert.NotNull(next);
        Assert.Equal(1, next.Offset);
    }

    [Fact]
    public void The_commit_position_stays_at_the_first_unfinished_message_though_later_ones_finished()
    {
        var window = new InFlightWindow<string>();
        var slow = window.Admit(0, "web-1", "a")!;
        var fast = window.Admit(1, "web-2", "b")!;

        Assert.Null(window.Complete(fast));
        Assert.Equal(0, window.FirstUnfinished);
        Assert.Equal(2, window.Count);

        window.Complete(slow);
        Assert.Null(window.FirstUnfinished);
        Assert.Equal(0, window.Count);
    }

    // The race this guards: the worker's taking loop reads a record just before it sees the stop, while a
    // finishing handler abandons the waiting message of that record's key. Admitted then, the record must
    // not start: it would be handled before the abandoned message, which its next owner handles later.
    [Fact]
    public void After_a_message_is_abandoned_no_later_message_starts_so_none_overtakes_it()
    {
        var window = new InFlightWindow<string>();
        var running = window.Admit(0, "web-1", "a")!;
        Assert.Null(window.Admit(1, "web-1", "b"));

        var waiting = window.Complete(running)!;
        window.Abandon(waiting); // stopping: the waiting one does not start

        Assert.Null(window.Admit(2, "web-1", "c"));
        Assert.Null(window.Admit(3, "web-2", "d"));
        Assert.Equal(1, window.FirstUnfinished); // nothing is committed past the abandoned message
    }

    [Fact]
    public void A_cleared_window_starts_messages_again()
    {
        var window = new InFlightWindow<string>();
        window.Abandon(window.Admit(0, "web-1", "a")!);

        window.Clear();

        Assert.NotNull(window.Admit(5, "web-1", "b"));
        Assert.Equal(5, window.FirstUnfinished);
    }

    [Fact]
    public void A_restarted_window_starts_the_abandoned_message_first_and_keeps_its_key_in_order()
    {
        var window = new InFlightWindow<string>();
        var abandoned = window.Admit(0, "web-1", "a")!;
        window.Abandon(abandoned);
        Assert.Null(window.Admit(1, "web-1", "b"));

        var starts = window.Restart();

        Assert.Equal([0L], starts.Select(s => s.Offset));
        Assert.Equal(1, window.Complete(starts[0])!.Offset);
        Assert.NotNull(window.Admit(2, "web-2", "c")); // admitting works again
    }
}
