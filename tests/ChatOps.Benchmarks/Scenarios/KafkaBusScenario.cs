using System.Diagnostics;
using System.Globalization;
using ChatOps.Core.Events;
using ChatOps.Kafka;
using Confluent.Kafka;
using Microsoft.Extensions.Options;

namespace ChatOps.Benchmarks.Scenarios;

/// <summary>
/// Issue 5's figure: produce→consume throughput and latency through <see cref="KafkaEventBus"/> next to raw
/// Confluent.Kafka (idempotent producer, acks=all; a consumer group) on the same cluster in the same run.
/// The cluster is librdkafka's mock (3 brokers, tests/ChatOps.MockKafka): good for comparing the two paths,
/// not a performance reference for a real broker.
/// </summary>
public static class KafkaBusScenario
{
    private sealed record Stamp(long Sent);

    public static async Task RunAsync(BenchArgs args)
    {
        var count = Math.Min(Math.Max(args.Requests, 5000), 20_000); // the mock keeps ~5 MiB per partition
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(BenchServer.TestSupportBinary("ChatOps.MockKafka", "ChatOps.MockKafka.dll"));
        using var cluster = Process.Start(info)!;
        _ = cluster.StandardError.ReadToEndAsync();
        string? line;
        while ((line = await cluster.StandardOutput.ReadLineAsync()) is not null && !line.StartsWith("bootstrap.servers=", StringComparison.Ordinal)) { }
        var bootstrap = line?["bootstrap.servers=".Length..] ?? throw new InvalidOperationException("the mock cluster printed no bootstrap servers");
        try
        {
            var raw = await RawAsync(bootstrap, Topics.Logs, count, args.Concurrency);
            var ours = await BusAsync(bootstrap, Topics.Events, count, args.Concurrency);
            Console.WriteLine(raw.Line());
            Console.WriteLine(ours.Line());
            Report.Ratio("bus throughput", ours.PerSecond, raw.PerSecond);
            Report.Ratio("bus latency p50", ours.Percentile(50), raw.Percentile(50));
            Report.Ratio("bus latency p99", ours.Percentile(99), raw.Percentile(99));
            Console.WriteLine("(mock cluster: compare the ratio, not the absolute figures)");
        }
        finally
        {
            cluster.StandardInput.Close();
            await cluster.WaitForExitAsync();
        }
    }

    private static async Task<Latencies> RawAsync(string bootstrap, string topic, int count, int concurrency)
    {
        var latencies = new Latencies($"raw Confluent.Kafka produce→consume (n={count})");
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrap, Acks = Acks.All, EnableIdempotence = true, LingerMs = 0,
        }).Build();
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap, GroupId = "bench-raw-" + Guid.NewGuid().ToString("N"), AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false, FetchWaitMaxMs = 1, SessionTimeoutMs = 6000, HeartbeatIntervalMs = 200,
        }).Build();
        consumer.Subscribe(topic);
        while (consumer.Assignment.Count == 0) consumer.Consume(TimeSpan.FromMilliseconds(100));

        var received = 0;
        var done = new TaskCompletionSource();
        var reader = Task.Run(() =>
        {
            while (received < count)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result is null) continue;
                latencies.Add(Stopwatch.GetElapsedTime(BitConverter.ToInt64(result.Message.Value)));
                if (++received == count) done.TrySetResult();
            }
        });

        latencies.Start();
        await Send(count, concurrency, i => producer.ProduceAsync(topic, new Message<string, byte[]> { Key = $"k{i % 64}", Value = BitConverter.GetBytes(Stopwatch.GetTimestamp()) }));
        await done.Task.WaitAsync(TimeSpan.FromMinutes(2));
        latencies.Stop();
        await reader;
        consumer.Close();
        return latencies;
    }

    private static async Task<Latencies> BusAsync(string bootstrap, string topic, int count, int concurrency)
    {
        var latencies = new Latencies($"KafkaEventBus publish→handler (n={count})");
        await using var bus = new KafkaEventBus(Options.Create(new KafkaBusOptions
        {
            BootstrapServers = bootstrap, Linger = TimeSpan.Zero, FetchWaitMax = TimeSpan.FromMilliseconds(1),
            SessionTimeout = TimeSpan.FromSeconds(6), HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        }));
        var received = 0;
        var done = new TaskCompletionSource();
        var warm = new TaskCompletionSource();
        await using var subscription = await bus.SubscribeAsync(topic, "bench-bus-" + Guid.NewGuid().ToString("N"), (envelope, _) =>
        {
            if (envelope.Type == "bench.warmup")
            {
                warm.TrySetResult();
                return Task.CompletedTask;
            }

            latencies.Add(Stopwatch.GetElapsedTime(envelope.Read<Stamp>().Sent));
            if (Interlocked.Increment(ref received) == count) done.TrySetResult();
            return Task.CompletedTask;
        });
        await bus.PublishAsync(topic, Envelope.Create("bench.warmup", "k0", new Stamp(0), DateTimeOffset.UtcNow));
        await warm.Task.WaitAsync(TimeSpan.FromMinutes(1));

        latencies.Start();
        await Send(count, concurrency, i => bus.PublishAsync(topic, Envelope.Create("bench.stamp", $"k{i % 64}", new Stamp(Stopwatch.GetTimestamp()), DateTimeOffset.UtcNow)));
        await done.Task.WaitAsync(TimeSpan.FromMinutes(2));
        latencies.Stop();
        return latencies;
    }

    private static async Task Send(int count, int concurrency, Func<int, Task> send)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count) await send(i);
        }));
    }
}
