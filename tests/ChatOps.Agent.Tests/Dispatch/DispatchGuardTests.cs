using ChatOps.Agent.Allowlist;
using ChatOps.Agent.Dispatch;
using ChatOps.Agent.Tests.Support;
using ChatOps.Core.Agents;

namespace ChatOps.Agent.Tests.Dispatch;

public sealed class DispatchGuardTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly ManualTimeProvider _time = new();
    private readonly CapturingLoggerFactory _logs = new();
    private readonly AgentAllowlist _allowlist = Allowlists.Parse(Allowlists.PrintJson);

    private string StatePath => _temp.File("state.json");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void An_action_missing_from_the_local_allowlist_is_refused_and_logged()
    {
        var guard = NewGuard();

        var decision = guard.Admit(Dispatch("c1", action: "rm"));

        Assert.Equal(RejectReasons.NotAllowed, decision.RejectReason);
        Assert.Null(decision.Command);
        Assert.Contains(_logs.Lines, line => line.Contains("refused action rm: not in allowlist", StringComparison.Ordinal));
        Assert.Equal(0, guard.Running);
    }

    [Fact]
    public void Bad_arguments_are_refused_with_the_reason()
    {
        var decision = NewGuard().Admit(Dispatch("c1", positional: ["--output=/etc/x"]));

        Assert.Equal(RejectReasons.BadArguments, decision.RejectReason);
        Assert.Contains("must not start with '-'", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_dispatch_is_admitted_with_its_argv_and_the_smaller_timeout()
    {
        var decision = NewGuard().Admit(Dispatch("c1", positional: ["hello"], timeoutMs: 2_000));

        Assert.True(decision.Accepted);
        Assert.Equal(["%s\\n", "hello"], decision.Command!.Arguments);
        Assert.Equal(TimeSpan.FromSeconds(2), decision.Timeout);
        Assert.Equal(AllowlistLoader.DefaultTimeoutSeconds, NewGuard().Admit(Dispatch("c2", timeoutMs: 0)).Timeout.TotalSeconds);
    }

    [Fact]
    public void A_fencing_token_older_than_one_honoured_is_refused()
    {
        var guard = NewGuard();
        Assert.True(guard.Admit(Dispatch("b-command", fencingToken: 8)).Accepted);

        var stale = guard.Admit(Dispatch("a-command", fencingToken: 7));
        var sameHolder = guard.Admit(Dispatch("b-second", fencingToken: 8));

        Assert.Equal(RejectReasons.StaleFencingToken, stale.RejectReason);
        Assert.True(sameHolder.Accepted);
    }

    [Fact]
    public void Stale_tokens_never_execute_in_randomised_interleavings()
    {
        // Kleppmann's scenario many times over: holders with random tokens race; whatever order the
        // dispatches arrive in, a command runs only if no larger token ran before it.
        var random = new Random(17);
        for (var run = 0; run < 200; run++)
        {
            using var temp = new TempFolder();
            var guard = new DispatchGuard(_allowlist, AgentStateStore.Open(temp.File("s.json")), 1000, _time, _logs.CreateLogger("t"));
            long highestRun = long.MinValue;
            for (var i = 0; i < 50; i++)
            {
                var token = random.NextInt64(0, 40);
                var decision = guard.Admit(Dispatch($"c{run}-{i}", fencingToken: token));
                if (decision.Accepted)
                {
                    Assert.True(token >= highestRun, $"token {token} ran after {highestRun}");
                    highestRun = token;
                    decision.Slot!.Dispose();
                }
                else
                {
                    Assert.Equal(RejectReasons.StaleFencingToken, decision.RejectReason);
                    Assert.True(token < highestRun);
                }
            }
        }
    }

    [Fact]
    public void A_command_id_that_already_ran_is_refused_as_duplicate()
    {
        var guard = NewGuard();
        guard.Admit(Dispatch("c1")).Slot!.Dispose();

        Assert.Equal(RejectReasons.Duplicate, guard.Admit(Dispatch("c1")).RejectReason);
    }

    [Fact]
    public void A_refused_dispatch_is_not_remembered_so_a_retry_can_run()
    {
        var guard = NewGuard(maxConcurrent: 1);
        var first = guard.Admit(Dispatch("c1"));
        Assert.Equal(RejectReasons.Busy, guard.Admit(Dispatch("c2")).RejectReason);
        first.Slot!.Dispose();

        Assert.True(guard.Admit(Dispatch("c2")).Accepted);
    }

    [Fact]
    public void A_dispatch_past_its_expiry_is_refused()
    {
        var guard = NewGuard();
        var dispatch = Dispatch("c1") with { ExpiresAt = _time.GetUtcNow().AddSeconds(30) };

        _time.Advance(TimeSpan.FromSeconds(31));

        Assert.Equal(RejectReasons.Expired, guard.Admit(dispatch).RejectReason);
    }

    [Fact]
    public void More_than_max_concurrent_commands_are_refused_as_busy_until_a_slot_frees()
    {
        var guard = NewGuard(maxConcurrent: 2);
        var first = guard.Admit(Dispatch("c1"));
        var second = guard.Admit(Dispatch("c2"));

        Assert.Equal(RejectReasons.Busy, guard.Admit(Dispatch("c3")).RejectReason);
        first.Slot!.Dispose();
        first.Slot.Dispose();
        Assert.True(guard.Admit(Dispatch("c3")).Accepted);
        Assert.Equal(RejectReasons.Busy, guard.Admit(Dispatch("c4")).RejectReason);
        Assert.True(second.Accepted);
    }

    [Fact]
    public void After_a_restart_seen_commands_and_the_fence_are_remembered()
    {
        var before = NewGuard();
        before.Admit(Dispatch("c1", fencingToken: 41)).Slot!.Dispose();

        var after = NewGuard();

        Assert.Equal(RejectReasons.Duplicate, after.Admit(Dispatch("c1", fencingToken: 41)).RejectReason);
        Assert.Equal(RejectReasons.StaleFencingToken, after.Admit(Dispatch("c2", fencingToken: 40)).RejectReason);
        Assert.True(after.Admit(Dispatch("c3", fencingToken: 41)).Accepted);
    }

    private DispatchGuard NewGuard(int maxConcurrent = 4) =>
        new(_allowlist, AgentStateStore.Open(StatePath), maxConcurrent, _time, _logs.CreateLogger("guard"));

    private DispatchFrame Dispatch(string commandId, string action = "print", IReadOnlyList<string>? positional = null, long fencingToken = 1, long timeoutMs = 10_000) =>
        new(commandId, action, new Dictionary<string, string>(), positional ?? ["x"], fencingToken, timeoutMs,
            _time.GetUtcNow(), _time.GetUtcNow().AddMinutes(1));
}
