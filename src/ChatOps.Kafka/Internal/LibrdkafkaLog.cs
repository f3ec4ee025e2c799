using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace ChatOps.Kafka.Internal;

/// <summary>Routes librdkafka's own log lines (connection trouble, rebalances) into our logger.</summary>
internal static class LibrdkafkaLog
{
    public static void Write(ILogger logger, LogMessage message)
    {
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
}
