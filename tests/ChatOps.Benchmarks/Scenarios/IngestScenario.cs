using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ChatOps.Benchmarks.Postgres;
using ChatOps.Benchmarks.Scale;
using ChatOps.Core.Domain;

namespace ChatOps.Benchmarks.Scenarios;

/// <summary>
/// Scenario 5: metric samples/s stored in PostgreSQL through <c>PostgresMetricsIngestor</c>, fed snapshot by
/// snapshot the way the metrics-topic consumer feeds it (one awaited EnqueueAsync after another), until
/// FlushAsync says everything is stored. Baseline, same run, same table and indexes: one raw binary
/// COPY of the same rows, already in memory, encoded by hand. Targets: >= 70 % of raw COPY, >= 200,000/s.
/// </summary>
public static class IngestScenario
{
    private const int SamplesPerSnapshot = 25;
    private const int Servers = 2000;
    private static readonly byte[] CopySignature = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xff, (byte)'\r', (byte)'\n', 0];
    private static readonly DateTime PostgresEpoch = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>This process's CPU time per sample in the last measured phase (the database's is not in it).</summary>
    private static double LastClientCpuMicrosPerSample { get; set; }

    public static async Task RunAsync(BenchArgs args)
    {
        // --requests below the default-sized run is taken as "not given": fewer than 200,000 samples measure start-up, not throughput.
        var samples = args.Requests >= 200_000 ? args.Requests : 1_000_000;
        await using var postgres = await PostgresCluster.StartAsync(durable: false);
        await using var adapter = await PostgresAdapter.StartAsync(new Dictionary<string, string?>
        {
            ["ChatOps:Postgres:ConnectionString"] = postgres.ConnectionString,
            ["ChatOps:Postgres:Metrics:Timescale"] = "Disabled",
        });

        // Warm both paths (JIT, pool, today's partition) on a small set, then measure.
        var day = DateTime.UtcNow.Date;
        await IngestAsync(adapter, Snapshots(day.AddHours(1), 20_000));
        await RawCopyAsync(adapter, Rows(Snapshots(day.AddHours(2), 20_000)));

        var measured = Snapshots(day.AddHours(3), samples);
        var rows = Rows(measured);
        var raw1 = await RawCopyAsync(adapter, rows);
        var rawCpu = LastClientCpuMicrosPerSample;
        var ingest = await IngestAsync(adapter, measured);
        var ingestCpu = LastClientCpuMicrosPerSample;
        var raw2 = await RawCopyAsync(adapter, rows);
        var rawRate = (raw1 + raw2) / 2;
        var rawParallel = await RawCopyAsync(adapter, rows, connections: 2);
        await ExecuteAsync(adapter, "CREATE UNLOGGED TABLE bench_no_index (LIKE metric_samples)");
        var rawNoIndex = await RawCopyAsync(adapter, rows, table: "bench_no_index");

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"baseline: raw binary COPY, 1 connection (2 runs)",-52} {rawRate,10:0} samples/s  ({raw1:0} and {raw2:0})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{$"PostgresMetricsIngestor: {samples:N0} samples",-52} {ingest,10:0} samples/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"for reference: raw COPY on 2 connections at once",-52} {rawParallel,10:0} samples/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"for reference: raw COPY, unlogged table, no index",-52} {rawNoIndex,10:0} samples/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"client CPU per sample: ingestor {ingestCpu:0.00} us, raw COPY {rawCpu:0.00} us (PostgreSQL's own CPU not included)"));
        Report.Ratio("ingestor vs raw COPY", ingest, rawRate);
        var pass = ingest >= 0.7 * rawRate && ingest >= 200_000;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(pass ? "PASS" : "MISS")}: target >= 70 % of raw COPY and >= 200,000 samples/s (got {ingest / rawRate:P0}, {ingest:0}/s); {SamplesPerSnapshot} samples per snapshot, {Servers} servers, PostgreSQL without TimescaleDB (daily partitions, primary key + BRIN)"));
    }

    private static async Task<double> IngestAsync(PostgresAdapter adapter, List<MetricSnapshot> snapshots)
    {
        await TruncateAsync(adapter);
        var total = snapshots.Sum(snapshot => snapshot.Samples.Count);
        var before = adapter.StoredSampleCount;
        var cpu = Environment.CpuUsage.TotalTime;
        var stopwatch = Stopwatch.StartNew();
        foreach (var snapshot in snapshots) await adapter.Enqueue(snapshot, CancellationToken.None);
        await adapter.Flush(CancellationToken.None);
        stopwatch.Stop();
        LastClientCpuMicrosPerSample = (Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / total;
        var stored = await CountAsync(adapter);
        if (stored != total || adapter.StoredSampleCount - before != total)
            throw new InvalidOperationException($"the ingestor stored {stored} rows (counted {adapter.StoredSampleCount - before}) of {total}");
        return total / stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>Raw binary COPY of <paramref name="rows"/> on <paramref name="connections"/> connections at once (rows split evenly).</summary>
    private static async Task<double> RawCopyAsync(PostgresAdapter adapter, List<Row> rows, int connections = 1, string table = "metric_samples")
    {
        await TruncateAsync(adapter, table);
        var share = (rows.Count + connections - 1) / connections;
        var cpu = Environment.CpuUsage.TotalTime;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(i => Task.Run(() => CopyRowsAsync(adapter, rows.Skip(i * share).Take(share), table))));
        stopwatch.Stop();
        LastClientCpuMicrosPerSample = (Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / rows.Count;
        var stored = await CountAsync(adapter, table);
        if (stored != rows.Count) throw new InvalidOperationException($"raw COPY stored {stored} rows of {rows.Count}");
        return rows.Count / stopwatch.Elapsed.TotalSeconds;
    }

    private static async Task CopyRowsAsync(PostgresAdapter adapter, IEnumerable<Row> rows, string table)
    {
        await using (var connection = await adapter.Primary.OpenConnectionAsync())
        {
            await using var copy = await PostgresAdapter.BeginRawBinaryCopyAsync(connection, $"COPY {table} (server_id, name, labels, at, value) FROM STDIN (FORMAT BINARY)");
            var buffer = new byte[1 << 16];
            CopySignature.CopyTo(buffer, 0);
            var used = CopySignature.Length + 8; // then flags and header extension length, both zero
            foreach (var row in rows)
            {
                if (used > buffer.Length - 1024)
                {
                    await copy.WriteAsync(buffer.AsMemory(0, used));
                    used = 0;
                }

                BinaryPrimitives.WriteInt16BigEndian(buffer.AsSpan(used), 5);
                used += 2;
                used += Text(buffer.AsSpan(used), row.ServerId, jsonb: false);
                used += Text(buffer.AsSpan(used), row.Name, jsonb: false);
                used += Text(buffer.AsSpan(used), row.Labels, jsonb: true);
                BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(used), 8);
                BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(used + 4), (row.At - PostgresEpoch).Ticks / 10);
                BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(used + 12), 8);
                BinaryPrimitives.WriteDoubleBigEndian(buffer.AsSpan(used + 16), row.Value);
                used += 24;
            }

            BinaryPrimitives.WriteInt16BigEndian(buffer.AsSpan(used), -1);
            used += 2;
            await copy.WriteAsync(buffer.AsMemory(0, used));
        }
    }

    private static int Text(Span<byte> into, string value, bool jsonb)
    {
        var offset = jsonb ? 5 : 4;
        if (jsonb) into[4] = 1; // jsonb binary format version
        var length = Encoding.UTF8.GetBytes(value, into[offset..]);
        BinaryPrimitives.WriteInt32BigEndian(into, length + offset - 4);
        return offset + length;
    }

    private static async Task ExecuteAsync(PostgresAdapter adapter, string sql)
    {
        await using var command = adapter.Primary.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task TruncateAsync(PostgresAdapter adapter, string table = "metric_samples")
    {
        await using var command = adapter.Primary.CreateCommand($"TRUNCATE {table}");
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> CountAsync(PostgresAdapter adapter, string table = "metric_samples")
    {
        await using var command = adapter.Primary.CreateCommand($"SELECT count(*) FROM {table}");
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>Snapshots like an agent's: a few label sets per metric name, {SamplesPerSnapshot} samples, one every 10 s per server.</summary>
    private static List<MetricSnapshot> Snapshots(DateTime from, int samples)
    {
        var names = new[] { "cpu_usage_percent", "memory_used_bytes", "disk_used_bytes", "net_rx_bytes", "load1" };
        var labelSets = Enumerable.Range(0, SamplesPerSnapshot).Select(i => (IReadOnlyDictionary<string, string>)(i < 5
            ? new Dictionary<string, string>()
            : new Dictionary<string, string> { ["device"] = $"dev{i}", ["host_role"] = "web" })).ToList();
        var random = new Random(42);
        var snapshots = new List<MetricSnapshot>(samples / SamplesPerSnapshot);
        for (var i = 0; i < samples / SamplesPerSnapshot; i++)
        {
            var at = new DateTimeOffset(from.AddSeconds(10 * (i / Servers)), TimeSpan.Zero);
            var list = new MetricSample[SamplesPerSnapshot];
            for (var s = 0; s < SamplesPerSnapshot; s++) list[s] = new MetricSample(names[s % names.Length], labelSets[s], random.NextDouble() * 100);
            snapshots.Add(new MetricSnapshot($"srv-{i % Servers:D5}", at, list));
        }

        return snapshots;
    }

    private static List<Row> Rows(List<MetricSnapshot> snapshots) =>
        snapshots.SelectMany(snapshot => snapshot.Samples.Select(sample => new Row(snapshot.ServerId, sample.Name,
            JsonSerializer.Serialize(new SortedDictionary<string, string>(sample.Labels.ToDictionary(), StringComparer.Ordinal)), snapshot.At.UtcDateTime, sample.Value))).ToList();

    private readonly record struct Row(string ServerId, string Name, string Labels, DateTime At, double Value);
}
