namespace ChatOps.Agent.Connection;

/// <summary>
/// Exponential backoff with "equal jitter": the n-th delay is between half and all of
/// min·2ⁿ (capped), so a fleet of agents that lost the same gateway does not return in lockstep.
/// </summary>
internal sealed class ReconnectBackoff
{
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private readonly Random _random;
    private int _attempt;

    public ReconnectBackoff(TimeSpan min, TimeSpan max, Random? random = null)
    {
        _min = min;
        _max = max;
        _random = random ?? Random.Shared;
    }

    public TimeSpan NextDelay()
    {
        var ceiling = _min.TotalMilliseconds * Math.Pow(2, Math.Min(_attempt, 30));
        ceiling = Math.Min(ceiling, _max.TotalMilliseconds);
        _attempt++;
        return TimeSpan.FromMilliseconds(ceiling / 2 + (_random.NextDouble() * ceiling / 2));
    }

    /// <summary>After a healthy connection the next outage starts again from the shortest delay.</summary>
    public void Reset() => _attempt = 0;
}
