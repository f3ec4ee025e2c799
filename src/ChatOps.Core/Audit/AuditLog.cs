using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ChatOps.Core.Audit;

/// <summary>
/// Writes an audit event to the store (the record) and to events-topic (for other services and
/// exports). The store write comes first: an audit entry is never only on the bus.
/// </summary>
public sealed class AuditLog(IAuditStore store, IEventBus bus, TimeProvider time, ILogger<AuditLog> logger)
{
    public async Task RecordAsync(string actor, string action, string? target, string outcome, string? detail, CancellationToken cancellationToken = default)
    {
        var entry = new AuditEvent(Envelope.NewId(), time.GetUtcNow(), actor, action, target, outcome, detail);
        await store.AppendAsync(entry, cancellationToken);
        try
        {
            await bus.PublishAsync(Topics.Events, Envelope.Create(EventTypes.AuditRecorded, target ?? actor, new AuditRecorded(entry), entry.At), cancellationToken);
        }
        catch (BusUnavailableException ex)
        {
            // The store holds the entry; the bus copy is for fan-out only.
            logger.LogWarning(ex, "Audit event {AuditId} stored but not published: {Reason}", entry.Id, ex.Message);
        }
    }
}
