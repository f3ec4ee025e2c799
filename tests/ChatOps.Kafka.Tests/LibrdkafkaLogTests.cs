using ChatOps.Kafka.Internal;
using ChatOps.Kafka.Tests.Support;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace ChatOps.Kafka.Tests;

public sealed class LibrdkafkaLogTests
{
    [Fact]
    public void A_consumer_jumping_past_records_it_never_read_is_logged_as_an_error_that_says_so()
    {
        var logger = new CapturingLogger<LibrdkafkaLogTests>();
        var resets = new List<string>();

        // The line librdkafka writes when the broker no longer has the consumer's position (retention outran the lag).
        LibrdkafkaLog.Write(logger, new LogMessage("rdkafka#consumer-1", SyslogLevel.Warning, "OFFSET",
            "[thrd:main]: commands-topic [3]: offset reset (at offset 2000, broker 1) to BEGINNING: fetch failed due to requested offset not available on the broker: Broker: Offset out of range"),
            resets.Add);

        // Counted by topic, so an alert rule on chatops_bus_offset_resets_total can catch it.
        Assert.Equal(["commands-topic"], resets);
        var (level, text) = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Error, level);
        Assert.Contains("may have been skipped", text, StringComparison.Ordinal);
        Assert.Contains("commands-topic [3]", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_connection_librdkafka_retries_by_itself_stays_a_warning()
    {
        var logger = new CapturingLogger<LibrdkafkaLogTests>();
        var resets = new List<string>();

        LibrdkafkaLog.Write(logger, new LogMessage("rdkafka#producer-1", SyslogLevel.Error, "FAIL",
            "127.0.0.1:9092/1: Connect to ipv4#127.0.0.1:9092 failed: Connection refused (after 0ms in state CONNECT)"), resets.Add);

        Assert.Equal(LogLevel.Warning, Assert.Single(logger.Entries).Level);
        Assert.Empty(resets);
    }
}
