namespace ChatOps.Core.Observability;

/// <summary>Messages of <paramref name="Topic"/> that consumer group <paramref name="Group"/> has not finished yet, as seen by this process.</summary>
public sealed record ConsumerLag(string Topic, string Group, long Lag);

/// <summary>
/// A bus that can say how far behind its consumer groups in this process are. Read at scrape time, so it
/// must answer from memory without waiting on the network.
/// </summary>
public interface IConsumerLagSource
{
    IReadOnlyList<ConsumerLag> ReadConsumerLag();
}
