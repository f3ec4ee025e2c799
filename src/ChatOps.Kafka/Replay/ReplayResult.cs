namespace ChatOps.Kafka.Replay;

/// <summary>What one replay did.</summary>
/// <param name="Topic">The topic read.</param>
/// <param name="Partitions">Partitions read (those with records between the start and the high watermark, or named).</param>
/// <param name="Records">Records re-published or exported, envelopes and others.</param>
/// <param name="NotEnvelopes">Of <paramref name="Records"/>, those whose value is not an envelope (exported or re-published as raw bytes).</param>
/// <param name="Destination">The target topic or the output file.</param>
public sealed record ReplayResult(string Topic, int Partitions, long Records, long NotEnvelopes, string Destination);
