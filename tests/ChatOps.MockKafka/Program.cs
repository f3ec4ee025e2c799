using System.Globalization;
using ChatOps.Kafka.Tests.Support;

// A test-support process: a librdkafka mock Kafka cluster on loopback with the five ChatOps topics.
// Prints "bootstrap.servers=<list>" on one line, then lives until stdin closes (its parent ended).
const int Partitions = 12;
const int ReplicationFactor = 3;

// The five names of ChatOps.Core.Events.Topics.All (this exe references no ChatOps project).
string[] topics = ["metrics-topic", "alerts-topic", "commands-topic", "events-topic", "logs-topic"];

var brokers = 3;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--brokers" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out brokers) && brokers is >= 1 and <= 32)
    {
        i++;
        continue;
    }

    Console.Error.WriteLine($"Unknown or invalid argument '{args[i]}'. Usage: ChatOps.MockKafka [--brokers 1..32] (default 3)");
    return 2;
}

using var cluster = MockKafkaCluster.Start(brokers);
foreach (var topic in topics)
{
    cluster.CreateTopic(topic, Partitions, Math.Min(ReplicationFactor, brokers));
}

Console.Out.WriteLine($"bootstrap.servers={cluster.BootstrapServers}");
Console.Out.Flush();

// Read to EOF rather than waiting for a line: the parent closing our stdin (or dying) is the signal.
using var stdin = Console.OpenStandardInput();
await stdin.CopyToAsync(Stream.Null);
return 0;
