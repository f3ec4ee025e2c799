namespace ChatOps.Kafka.Internal;

/// <summary>The payload of <see cref="RecordCodec.UndecodableType"/>: where the record was and what it held.</summary>
internal sealed record UndecodableRecord(
    string Topic,
    int Partition,
    long Offset,
    int ValueLength,
    bool ValueTruncated,
    string? ValueText,
    string? ValueBase64,
    IReadOnlyDictionary<string, string>? Headers);
