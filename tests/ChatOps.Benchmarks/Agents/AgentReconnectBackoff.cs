namespace ChatOps.Benchmarks.Agents;

/// <summary>
/// The real agent's reconnect policy (src/ChatOps.Agent/Connection/ReconnectBackoff.cs and AgentClient: equal
/// jitter, min·2ⁿ capped, reset after a connection that stayed up 10 s; defaults 1 s and 30 s from AgentOptions).
/// Copied, not referenced: that type is internal to ChatOps.Agent, whose assembly this project does not reference.
/// </summary>
public sealed class AgentReconnectBackoff(TimeSpan min, TimeSpan max, Random random)
{
    public static readonly TimeSpan DefaultMin = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultMax = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan HealthyConnection = TimeSpan.FromSeconds(10);

    private int _attempt;

    public TimeSpan NextDelay()
    {
        var ceiling = min.TotalMilliseconds * Math.Pow(2, Math.Min(_attempt, 30));
        ceiling = Math.Min(ceiling, max.TotalMilliseconds);
        _attempt++;
        return TimeSpan.FromMilliseconds(ceiling / 2 + (random.NextDouble() * ceiling / 2));
    }

    public void Reset() => _attempt = 0;
}
