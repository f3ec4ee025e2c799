using Npgsql;

namespace ChatOps.Postgres.Tests.Store;

/// <summary>The fail-over history check finds each kind of broken promise (so a clean run means something).</summary>
public sealed class FailoverHistoryCheckTests
{
    private static readonly Exception LostConnection = new NpgsqlException("Exception while reading from stream", new IOException("reset"));

    [Fact]
    public void A_clean_history_has_no_violations()
    {
        var history = new[]
        {
            Entry(FailoverOp.Create, "req-1", "copy-0", true),
            Entry(FailoverOp.Create, "req-1", "copy-1", false),
            Entry(FailoverOp.Start, "req-1", "11", true),
            Entry(FailoverOp.Start, "req-1", "12", false),
            Entry(FailoverOp.Finish, "req-1", "finisher-1", true),
            Entry(FailoverOp.Enroll, "agent-0", "req-1", 1L),
            Entry(FailoverOp.Enroll, "agent-0", "req-2", null, LostConnection),
        };

        Assert.Empty(FailoverHistoryCheck.Violations(history, Final(("req-1", "succeeded", 11L), generation: 2)));
    }

    [Fact]
    public void Two_callers_told_they_created_one_request_id_is_a_duplicate()
    {
        var history = new[] { Entry(FailoverOp.Create, "req-1", "copy-0", true), Entry(FailoverOp.Create, "req-1", "copy-1", true) };

        Assert.Contains(FailoverHistoryCheck.Violations(history, Final(("req-1", "queued", null))), v => v.Contains("duplicate", StringComparison.Ordinal));
    }

    [Fact]
    public void An_acknowledged_transition_missing_after_the_failover_is_lost()
    {
        var history = new[] { Entry(FailoverOp.Create, "req-1", "copy-0", true), Entry(FailoverOp.Start, "req-1", "11", true) };

        Assert.Contains(FailoverHistoryCheck.Violations(history, Final(("req-1", "queued", null))), v => v.Contains("lost or went backwards", StringComparison.Ordinal));
    }

    [Fact]
    public void A_false_with_no_one_else_moving_the_row_is_a_swallowed_failure()
    {
        var history = new[] { Entry(FailoverOp.Create, "req-1", "copy-0", false) };

        Assert.Contains(FailoverHistoryCheck.Violations(history, Final(("req-1", "queued", null))), v => v.Contains("every create answered false", StringComparison.Ordinal));
    }

    [Fact]
    public void A_generation_handed_out_twice_is_a_fencing_token_issued_twice()
    {
        var history = new[] { Entry(FailoverOp.Enroll, "agent-0", "req-1", 1L), Entry(FailoverOp.Enroll, "agent-0", "req-2", 1L) };

        Assert.Contains(FailoverHistoryCheck.Violations(history, Final(generation: 1)), v => v.Contains("issued 2 times", StringComparison.Ordinal));
    }

    private static FailoverEntry Entry(FailoverOp op, string key, string actor, object? value, Exception? error = null) =>
        new(op, key, actor, value, error, AfterFailover: false, TimeSpan.Zero, TimeSpan.Zero);

    private static FailoverFinalState Final((string Id, string State, long? Token)? command = null, long generation = 0) => new(
        command is { } c ? new Dictionary<string, (string, long?)> { [c.Id] = (c.State, c.Token) } : [],
        generation > 0 ? new Dictionary<string, long> { ["agent-0"] = generation } : [],
        new Dictionary<string, (string, bool)>());
}
