namespace ChatOps.Kafka;

/// <summary>
/// Headers every record the bus writes carries, so tools that do not parse the JSON value (kcat,
/// replay filters, other languages) still see what a record is and can join its trace.
/// </summary>
public static class KafkaHeaders
{
    /// <summary>The envelope's id (the consumers' idempotency key).</summary>
    public const string MessageId = "chatops-id";

    /// <summary>The envelope's type, e.g. <c>command.requested</c>.</summary>
    public const string Type = "chatops-type";

    /// <summary>The payload's schema version, as decimal text.</summary>
    public const string SchemaVersion = "chatops-schema-version";

    /// <summary>W3C trace context (the standard header name), present when the envelope has one.</summary>
    public const string TraceParent = "traceparent";
}
