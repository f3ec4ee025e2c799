using System.Globalization;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using Confluent.Kafka;

namespace ChatOps.Kafka.Internal;

/// <summary>
/// Turns what Kafka says about a failed publish into a <see cref="BusUnavailableException"/> whose
/// message can be shown to a chat user as is, plus a short reason for metrics and logs.
/// </summary>
internal static class PublishFailures
{
    public const string TryAgain = "It was not accepted; try again in a moment.";

    public static (string Reason, BusUnavailableException Exception) From(Error error, string topic, Envelope envelope, KafkaBusOptions options, Exception inner)
    {
        var what = $"message {envelope.Id} on {topic}";
        return error.Code switch
        {
            ErrorCode.Local_MsgTimedOut or ErrorCode.RequestTimedOut or ErrorCode.Local_TimedOut => ("timeout", new BusUnavailableException(
                $"The event bus (Kafka) did not confirm {what} within {Seconds(options.DeliveryTimeout)}: brokers are unreachable or too few replicas are in sync. {TryAgain}",
                inner)),
            ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend => ("not_enough_replicas", new BusUnavailableException(
                $"Kafka refused {what}: not enough in-sync replicas (it needs {options.MinInsyncReplicas}), a broker is probably down. {TryAgain}",
                inner)),
            ErrorCode.Local_QueueFull => ("buffer_full", BufferFull(topic, envelope, options, inner)),
            ErrorCode.MsgSizeTooLarge or ErrorCode.RecordListTooLarge => ("too_large", new BusUnavailableException(
                $"Kafka refused {what} as too large: the bus accepts at most {options.MessageMaxBytes.ToString("N0", CultureInfo.InvariantCulture)} bytes per message ({KafkaBusOptions.Key(nameof(KafkaBusOptions.MessageMaxBytes))}, and the brokers' message.max.bytes).",
                inner)),
            ErrorCode.Local_UnknownTopic or ErrorCode.UnknownTopicOrPart or ErrorCode.Local_UnknownPartition => ("unknown_topic", new BusUnavailableException(
                $"Topic {topic} does not exist on Kafka and could not be created, so {what} was not accepted.",
                inner)),
            ErrorCode.TopicAuthorizationFailed or ErrorCode.ClusterAuthorizationFailed => ("not_authorized", new BusUnavailableException(
                $"Kafka does not allow ChatOps to write to {topic}, so {what} was not accepted.",
                inner)),
            _ when error.IsFatal => ("fatal", new BusUnavailableException(
                $"The Kafka producer failed ({error.Reason}) and is being restarted; {what} was not accepted. {TryAgain}",
                inner)),
            _ => ("other", new BusUnavailableException($"Kafka did not accept {what} ({error.Reason}). {TryAgain}", inner)),
        };
    }

    public static BusUnavailableException TooLarge(string topic, Envelope envelope, int size, int limit) => new(
        $"Message {envelope.Id} ({envelope.Type}) on {topic} is {size.ToString("N0", CultureInfo.InvariantCulture)} bytes, over the bus's limit of {limit.ToString("N0", CultureInfo.InvariantCulture)} bytes ({KafkaBusOptions.Key(nameof(KafkaBusOptions.MessageMaxBytes))}); it was not accepted.");

    public static BusUnavailableException BufferFull(string topic, Envelope envelope, KafkaBusOptions options, Exception? inner) => new(
        $"The event bus's local buffer is full ({options.QueueBufferingMaxMessages.ToString("N0", CultureInfo.InvariantCulture)} messages waiting for Kafka, which is slow or unreachable), so message {envelope.Id} on {topic} was not accepted; try again in a moment.",
        inner);

    public static BusUnavailableException Unreachable(string topic, Envelope envelope, Exception inner) => new(
        $"The event bus (Kafka) is unreachable ({inner.Message}), so message {envelope.Id} on {topic} was not accepted. Try again in a moment.",
        inner);

    public static BusUnavailableException ShutDown(string topic, Envelope envelope) =>
        new($"The Kafka bus is shut down; message {envelope.Id} was not accepted on {topic}.");

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}
