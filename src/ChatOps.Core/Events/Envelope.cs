using System.Text.Json;

namespace ChatOps.Core.Events;

/// <summary>
/// The versioned JSON envelope every bus message travels in. Consumers are idempotent by
/// <see cref="Id"/>: redelivery is normal on every bus.
/// </summary>
/// <param name="Id">Unique message id; the idempotency key of consumers.</param>
/// <param name="Type">Event type, e.g. <c>command.requested</c> (see <see cref="EventTypes"/>).</param>
/// <param name="SchemaVersion">Payload schema version; consumers refuse versions they do not know.</param>
/// <param name="OccurredAt">When the event happened at its source.</param>
/// <param name="Key">Partition key (server id, alert fingerprint or entity id).</param>
/// <param name="Payload">The event body.</param>
/// <param name="TraceParent">W3C trace context, carried across hops.</param>
public sealed record Envelope(
    string Id,
    string Type,
    int SchemaVersion,
    DateTimeOffset OccurredAt,
    string Key,
    JsonElement Payload,
    string? TraceParent = null)
{
    public static Envelope Create<T>(string type, string key, T payload, DateTimeOffset occurredAt, int schemaVersion = 1, string? traceParent = null)
        => new(NewId(), type, schemaVersion, occurredAt, key, JsonSerializer.SerializeToElement(payload, ChatOpsJson.Options), traceParent);

    /// <summary>Reads the payload; throws <see cref="JsonException"/> when it does not fit <typeparamref name="T"/>.</summary>
    public T Read<T>() => Payload.Deserialize<T>(ChatOpsJson.Options)
        ?? throw new JsonException($"message {Id} of type {Type} has an empty payload");

    public static string NewId() => Guid.CreateVersion7().ToString("N");
}
