namespace ChatOps.Redis.Tests.Failover;

/// <summary>
/// The agent on one target, reduced to what test 18 checks: the fencing rule of the agent's
/// <c>DispatchGuard.Admit</c> (src/ChatOps.Agent/Dispatch; refuse a token below the highest one already
/// honoured here, checked and recorded under one lock) and the interval each admitted command runs,
/// timed on the agent's side. DispatchGuard itself is internal to ChatOps.Agent, which this test project
/// does not reference, so the rule is restated here; keep the two in step.
/// </summary>
internal sealed class AgentFence(string target)
{
    private readonly Lock _gate = new();
    private readonly List<Execution> _executions = [];
    private readonly List<Refusal> _refusals = [];
    private long _highest = long.MinValue;

    public string Target { get; } = target;

    /// <summary>Admits (and runs for <paramref name="duration"/>, or until <paramref name="finish"/> is cancelled) or refuses a dispatch carrying <paramref name="token"/>.</summary>
    public async Task<bool> RunAsync(string owner, long token, TimeSpan duration, CancellationToken finish)
    {
        long started;
        lock (_gate)
        {
            if (token < _highest)
            {
                _refusals.Add(new Refusal(owner, token, _highest));
                return false;
            }

            _highest = token;
            started = TimeProvider.System.GetTimestamp();
        }

        try
        {
            await Task.Delay(duration, finish); // the command running on the server
        }
        catch (OperationCanceledException) when (finish.IsCancellationRequested)
        {
            // The command finished.
        }

        var ended = TimeProvider.System.GetTimestamp();
        lock (_gate)
        {
            _executions.Add(new Execution(owner, token, started, ended));
        }

        return true;
    }

    public IReadOnlyList<Execution> Executions
    {
        get
        {
            lock (_gate)
            {
                return [.. _executions];
            }
        }
    }

    public IReadOnlyList<Refusal> Refusals
    {
        get
        {
            lock (_gate)
            {
                return [.. _refusals];
            }
        }
    }

    /// <summary>Pairs of admitted executions whose intervals overlap (there must be none).</summary>
    public IReadOnlyList<(Execution First, Execution Second)> Overlaps()
    {
        var sorted = Executions.OrderBy(e => e.Started).ToList();
        var overlaps = new List<(Execution, Execution)>();
        for (var i = 1; i < sorted.Count; i++)
        {
            for (var j = i - 1; j >= 0; j--)
            {
                if (sorted[j].Ended > sorted[i].Started)
                {
                    overlaps.Add((sorted[j], sorted[i]));
                }
            }
        }

        return overlaps;
    }

    /// <summary>One command that ran, with agent-side timestamps (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public sealed record Execution(string Owner, long Token, long Started, long Ended);

    public sealed record Refusal(string Owner, long Token, long Highest);
}
