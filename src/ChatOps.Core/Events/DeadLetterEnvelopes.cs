using ChatOps.Core.Ports;

namespace ChatOps.Core.Events;

/// <summary>
/// The envelope a consumer parks on <c>{topic}.dlq</c> after its last failed attempt: type
/// <see cref="EventType"/>, the original key (so one key's dead letters keep their order) and a
/// <see cref="DeadLetter"/> payload.
/// </summary>
public static class DeadLetterEnvelopes
{
    public const string EventType = "dead_letter";

    public static Envelope Create(string topic, string group, int attempts, Exception error, Envelope original, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(original);
        var payload = new DeadLetter(topic, group, attempts, Describe(error), original);
        return Envelope.Create(EventType, original.Key, payload, at, traceParent: original.TraceParent);
    }

    // Type and message only: the stack trace goes to the log, the dead letter says what went wrong.
    private static string Describe(Exception error) => $"{error.GetType().FullName}: {error.Message}";
}
