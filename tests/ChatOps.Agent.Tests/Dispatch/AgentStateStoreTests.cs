using ChatOps.Agent.Dispatch;
using ChatOps.Agent.Tests.Support;

namespace ChatOps.Agent.Tests.Dispatch;

public sealed class AgentStateStoreTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_missing_file_starts_empty_and_each_record_is_saved_at_once()
    {
        var path = _temp.File("state.json");
        var store = AgentStateStore.Open(path);
        Assert.False(store.HasSeen("c1"));

        store.Record("c1", 5);

        var reopened = AgentStateStore.Open(path);
        Assert.True(reopened.HasSeen("c1"));
        Assert.Equal(5, reopened.HighestFencingToken);
        Assert.Empty(Directory.GetFiles(_temp.Path, "*.tmp"));
    }

    [Fact]
    public void Records_go_to_the_journal_and_a_full_journal_is_folded_into_the_snapshot()
    {
        var path = _temp.File("state.json");
        using (var store = AgentStateStore.Open(path, capacity: 3))
        {
            store.Record("c1", 1);
            store.Record("c2", 2);
            Assert.False(File.Exists(path));
            Assert.Equal(["c1 1", "c2 2"], File.ReadAllLines(path + ".journal"));

            store.Record("c3", 3);
            store.Record("c4", 4);

            Assert.True(File.Exists(path));
            Assert.Equal(["c4 4"], File.ReadAllLines(path + ".journal"));
        }

        using var reopened = AgentStateStore.Open(path, capacity: 3);
        Assert.False(reopened.HasSeen("c1"));
        Assert.True(reopened.HasSeen("c2") && reopened.HasSeen("c3") && reopened.HasSeen("c4"));
        Assert.Equal(4, reopened.HighestFencingToken);
    }

    [Fact]
    public void A_journal_line_cut_short_by_a_crash_is_a_command_that_never_started()
    {
        var path = _temp.File("state.json");
        File.WriteAllText(path + ".journal", "c1 7\nc2 8\nc3 9");

        using var store = AgentStateStore.Open(path);

        Assert.True(store.HasSeen("c1") && store.HasSeen("c2"));
        Assert.False(store.HasSeen("c3"));
        Assert.Equal(8, store.HighestFencingToken);
    }

    [Fact]
    public void A_damaged_journal_line_stops_the_agent_instead_of_forgetting()
    {
        var path = _temp.File("state.json");
        File.WriteAllText(path + ".journal", "c1 7\ngarbage\n");

        var error = Assert.Throws<AgentStateException>(() => AgentStateStore.Open(path));

        Assert.Contains("old commands could run again", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_most_recent_ids_are_kept_and_the_fence_never_goes_down()
    {
        var path = _temp.File("state.json");
        var store = AgentStateStore.Open(path, capacity: 3);

        store.Record("c1", 9);
        store.Record("c2", 3);
        store.Record("c3", 9);
        store.Record("c4", 10);

        var reopened = AgentStateStore.Open(path, capacity: 3);
        Assert.False(reopened.HasSeen("c1"));
        Assert.True(reopened.HasSeen("c2") && reopened.HasSeen("c3") && reopened.HasSeen("c4"));
        Assert.Equal(10, reopened.HighestFencingToken);
        Assert.Equal(3, reopened.RememberedCommands);
    }

    [Fact]
    public void A_damaged_state_file_stops_the_agent_instead_of_forgetting()
    {
        var path = _temp.Write("state.json", "{ \"highestFencingToken\": 12, \"seenCommandIds\": [\"c1\"");

        var error = Assert.Throws<AgentStateException>(() => AgentStateStore.Open(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("old commands could run again", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_failed_save_changes_nothing_and_says_so()
    {
        var folder = Path.Combine(_temp.Path, "gone");
        Directory.CreateDirectory(folder);
        var store = AgentStateStore.Open(Path.Combine(folder, "state.json"));
        Directory.Delete(folder);

        var error = Assert.Throws<IOException>(() => store.Record("c1", 3));

        Assert.StartsWith("cannot save agent state to", error.Message, StringComparison.Ordinal);
        Assert.False(store.HasSeen("c1"));
        Assert.Equal(long.MinValue, store.HighestFencingToken);
    }
}
