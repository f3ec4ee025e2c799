using System.Text.RegularExpressions;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace ChatOps.Kafka.Internal;

/// <summary>Routes librdkafka's own log lines (connection trouble, rebalances) into our logger.</summary>
internal static partial class LibrdkafkaLog
{
    /// <param name="onOffsetReset">Told the topic whenever a consumer jumped past records it had not read (counted in <c>/metrics</c>).</param>
    public static void Write(ILogger logger, LogMessage message, Action<string>? onOffsetReset = null)
    {
        if (IsOffsetReset(message))
        {
            onOffsetReset?.Invoke(ResetTopic(message.Message));
            // The consumer's position was no longer on the broker (retention outran its lag, or the topic was
            // recreated) and librdkafka moved it to what is left (auto.offset.reset): whatever lay between was
            // never handled. librdkafka calls that a warning; for commands and alerts it is loss.
            logger.LogError(
                "librdkafka {Client}: a consumer's position was gone from the broker and it jumped ({Message}). Records it had not read yet may have been skipped: the topic's retention is shorter than this consumer's lag, or the topic was recreated. Check the consumer lag and the topic's retention",
                message.Name,
                message.Message);
            return;
        }

        // librdkafka logs a refused connection as an error and retries on its own: for us that is a warning;
        // what is really lost surfaces as a failed publish or an error callback.
        var level = message.Level switch
        {
            SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Error,
            SyslogLevel.Error or SyslogLevel.Warning => LogLevel.Warning,
            SyslogLevel.Notice => LogLevel.Information,
            _ => LogLevel.Debug,
        };
        if (logger.IsEnabled(level))
        {
            logger.Log(level, "librdkafka {Client} {Facility}: {Message}", message.Name, message.Facility, message.Message);
        }
    }

    // "[thrd:main]: commands-topic [3]: offset reset ..." → commands-topic; "unknown" if the line changes shape.
    private static string ResetTopic(string text) => TopicOfReset().Match(text) is { Success: true } match ? match.Groups["topic"].Value : "unknown";

    [GeneratedRegex(@"(?<topic>[A-Za-z0-9._-]+) \[\d+\]: offset reset", RegexOptions.CultureInvariant)]
    private static partial Regex TopicOfReset();

    // librdkafka: "<topic> [<partition>]: offset reset (at offset 1, broker 0) to BEGINNING: fetch failed due to
    // requested offset not available on the broker: Broker: Offset out of range", facility OFFSET, level warning.
    private static bool IsOffsetReset(LogMessage message) =>
        string.Equals(message.Facility, "OFFSET", StringComparison.OrdinalIgnoreCase)
        && message.Message.Contains("offset reset", StringComparison.OrdinalIgnoreCase)
        && message.Message.Contains("out of range", StringComparison.OrdinalIgnoreCase);
}
