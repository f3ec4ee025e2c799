namespace ChatOps.Slack.Tests.Support;

/// <summary>
/// Tests that assert wall-clock latency (an ack within Slack's window while 40 requests wait) run alone:
/// beside the CPU-bound fuzz and burst classes of this assembly the thread pool can be starved for
/// seconds, which measures the test run, not the adapter (one full run saw all 40 acks at 3.1 s).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WallClockCollection
{
    public const string Name = "wall-clock latency";
}
