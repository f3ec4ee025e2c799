using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace ChatOps.Kafka.Tests.Support;

/// <summary>
/// librdkafka's mock cluster: real Kafka-protocol brokers on loopback inside this process, driven by
/// P/Invoke into the same native library Confluent.Kafka loads (see /work/shared/testing.md). The
/// cluster lives until <see cref="Dispose"/>. A copy of this interop lives in tests/ChatOps.MockKafka
/// (that exe references no test project); keep the two in step.
/// </summary>
public sealed class MockKafkaCluster : IDisposable
{
    private const string Library = "rdkafka";
    private const int ProducerType = 0;

    private IntPtr _handle;
    private IntPtr _cluster;

    static MockKafkaCluster() => NativeLibrary.SetDllImportResolver(typeof(MockKafkaCluster).Assembly, Resolve);

    private MockKafkaCluster(IntPtr handle, IntPtr cluster, int brokers)
    {
        _handle = handle;
        _cluster = cluster;
        Brokers = brokers;
        BootstrapServers = Marshal.PtrToStringUTF8(rd_kafka_mock_cluster_bootstraps(cluster))
            ?? throw new InvalidOperationException("The mock cluster returned no bootstrap servers.");
    }

    public string BootstrapServers { get; }

    public int Brokers { get; }

    /// <summary>Starts <paramref name="brokers"/> brokers (ids 1..n) with a short initial rebalance delay.</summary>
    public static MockKafkaCluster Start(int brokers = 3, TimeSpan? initialRebalanceDelay = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        var conf = rd_kafka_conf_new();
        var error = new byte[512];
        // Quiet: the owning handle would otherwise log every broker-down test to stderr.
        rd_kafka_conf_set(conf, "log_level", "2", error, error.Length);
        var handle = rd_kafka_new(ProducerType, conf, error, error.Length);
        if (handle == IntPtr.Zero)
        {
            throw new InvalidOperationException("rd_kafka_new failed: " + Text(error));
        }

        var cluster = rd_kafka_mock_cluster_new(handle, brokers);
        if (cluster == IntPtr.Zero)
        {
            rd_kafka_destroy(handle);
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed.");
        }

        // The mock's default (3 s, like a real broker) makes every group join slow; tests join many groups.
        rd_kafka_mock_group_initial_rebalance_delay_ms(cluster, (int)(initialRebalanceDelay ?? TimeSpan.FromMilliseconds(50)).TotalMilliseconds);
        // Metadata then names a controller, so admin requests the mock does not implement (CreateTopics)
        // fail at once as unsupported instead of waiting out their timeout for a controller.
        rd_kafka_mock_set_controller_id(cluster, 1);
        return new MockKafkaCluster(handle, cluster, brokers);
    }

    public void CreateTopic(string name, int partitions, int replicationFactor)
    {
        Check(rd_kafka_mock_topic_create(Cluster, name, partitions, replicationFactor), $"create topic {name}");
    }

    /// <summary>Disconnects the broker and refuses new connections. Leadership does not move (see <see cref="SetPartitionLeader"/>).</summary>
    public void SetBrokerDown(int brokerId) => Check(rd_kafka_mock_broker_set_down(Cluster, brokerId), $"set broker {brokerId} down");

    public void SetBrokerUp(int brokerId) => Check(rd_kafka_mock_broker_set_up(Cluster, brokerId), $"set broker {brokerId} up");

    public void SetPartitionLeader(string topic, int partition, int brokerId) =>
        Check(rd_kafka_mock_partition_set_leader(Cluster, topic, partition, brokerId), $"move leader of {topic}/{partition} to {brokerId}");

    /// <summary>Makes <paramref name="brokerId"/> the coordinator of consumer group <paramref name="group"/>.</summary>
    public void SetGroupCoordinator(string group, int brokerId) =>
        Check(rd_kafka_mock_coordinator_set(Cluster, "group", group, brokerId), $"make broker {brokerId} coordinator of {group}");

    /// <summary>The next <paramref name="count"/> requests of <paramref name="apiKey"/> (any broker) fail with <paramref name="errorCode"/>.</summary>
    public void PushRequestErrors(short apiKey, int errorCode, int count)
    {
        var errors = Enumerable.Repeat(errorCode, count).ToArray();
        rd_kafka_mock_push_request_errors_array(Cluster, apiKey, (nuint)count, errors);
    }

    public void ClearRequestErrors(short apiKey) => rd_kafka_mock_clear_request_errors(Cluster, apiKey);

    public void Dispose()
    {
        if (_cluster != IntPtr.Zero)
        {
            rd_kafka_mock_cluster_destroy(_cluster);
            _cluster = IntPtr.Zero;
        }

        if (_handle != IntPtr.Zero)
        {
            rd_kafka_destroy(_handle);
            _handle = IntPtr.Zero;
        }
    }

    private IntPtr Cluster => _cluster != IntPtr.Zero ? _cluster : throw new ObjectDisposedException(nameof(MockKafkaCluster));

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            throw new InvalidOperationException($"Mock cluster could not {what}: error {error} ({Marshal.PtrToStringUTF8(rd_kafka_err2name(error))}).");
        }
    }

    private static string Text(byte[] buffer)
    {
        var end = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end);
    }

    // Debian lacks libsasl2.so.3, which the default librdkafka.so needs; the centos8 build (the one
    // Confluent.Kafka itself falls back to) loads.
    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library)
        {
            return IntPtr.Zero;
        }

        var native = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
        foreach (var candidate in new[] { "centos8-librdkafka.so", "librdkafka.so" })
        {
            if (NativeLibrary.TryLoad(Path.Combine(native, candidate), out var loaded))
            {
                return loaded;
            }
        }

        return NativeLibrary.TryLoad("librdkafka", assembly, searchPath, out var fallback) ? fallback : IntPtr.Zero;
    }

    [DllImport(Library)]
    private static extern IntPtr rd_kafka_conf_new();

    [DllImport(Library, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int rd_kafka_conf_set(IntPtr conf, string name, string value, byte[] errstr, nint errstrSize);

    [DllImport(Library)]
    private static extern IntPtr rd_kafka_new(int type, IntPtr conf, byte[] errstr, nint errstrSize);

    [DllImport(Library)]
    private static extern void rd_kafka_destroy(IntPtr rk);

    [DllImport(Library)]
    private static extern IntPtr rd_kafka_err2name(int err);

    [DllImport(Library)]
    private static extern IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokerCount);

    [DllImport(Library)]
    private static extern void rd_kafka_mock_cluster_destroy(IntPtr cluster);

    [DllImport(Library)]
    private static extern IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);

    [DllImport(Library)]
    private static extern void rd_kafka_mock_group_initial_rebalance_delay_ms(IntPtr cluster, int delayMs);

    [DllImport(Library)]
    private static extern void rd_kafka_mock_set_controller_id(IntPtr cluster, int controllerId);

    [DllImport(Library, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int rd_kafka_mock_topic_create(IntPtr cluster, string topic, int partitions, int replicationFactor);

    [DllImport(Library)]
    private static extern int rd_kafka_mock_broker_set_down(IntPtr cluster, int brokerId);

    [DllImport(Library)]
    private static extern int rd_kafka_mock_broker_set_up(IntPtr cluster, int brokerId);

    [DllImport(Library, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int rd_kafka_mock_partition_set_leader(IntPtr cluster, string topic, int partition, int brokerId);

    [DllImport(Library, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int rd_kafka_mock_coordinator_set(IntPtr cluster, string keyType, string key, int brokerId);

    [DllImport(Library)]
    private static extern void rd_kafka_mock_push_request_errors_array(IntPtr cluster, short apiKey, nuint count, int[] errors);

    [DllImport(Library)]
    private static extern void rd_kafka_mock_clear_request_errors(IntPtr cluster, short apiKey);
}
