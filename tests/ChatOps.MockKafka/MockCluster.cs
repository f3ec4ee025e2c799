using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace ChatOps.MockKafka;

/// <summary>
/// librdkafka's mock Kafka cluster, started by P/Invoke into the native library Confluent.Kafka ships.
/// A trimmed copy of tests/ChatOps.Kafka.Tests/Support/MockKafkaCluster.cs (this exe references no
/// test project, and sharing one file would need project changes): keep the two in step.
/// </summary>
internal sealed class MockCluster : IDisposable
{
    private const string Library = "rdkafka";

    private IntPtr _handle;
    private IntPtr _cluster;

    static MockCluster() => NativeLibrary.SetDllImportResolver(typeof(MockCluster).Assembly, Resolve);

    private MockCluster(IntPtr handle, IntPtr cluster)
    {
        _handle = handle;
        _cluster = cluster;
        BootstrapServers = Marshal.PtrToStringUTF8(rd_kafka_mock_cluster_bootstraps(cluster))
            ?? throw new InvalidOperationException("The mock cluster returned no bootstrap servers.");
    }

    public string BootstrapServers { get; }

    public static MockCluster Start(int brokers)
    {
        var conf = rd_kafka_conf_new();
        var error = new byte[512];
        rd_kafka_conf_set(conf, "log_level", "2", error, error.Length);
        var handle = rd_kafka_new(0, conf, error, error.Length);
        if (handle == IntPtr.Zero)
        {
            var end = Array.IndexOf(error, (byte)0);
            throw new InvalidOperationException("rd_kafka_new failed: " + Encoding.UTF8.GetString(error, 0, end < 0 ? error.Length : end));
        }

        var cluster = rd_kafka_mock_cluster_new(handle, brokers);
        if (cluster == IntPtr.Zero)
        {
            rd_kafka_destroy(handle);
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed.");
        }

        // Group joins in 50 ms instead of the 3 s a real broker waits for an empty group to fill up.
        rd_kafka_mock_group_initial_rebalance_delay_ms(cluster, 50);
        // A named controller makes admin requests the mock lacks (CreateTopics) fail at once as unsupported.
        rd_kafka_mock_set_controller_id(cluster, 1);
        return new MockCluster(handle, cluster);
    }

    public void CreateTopic(string name, int partitions, int replicationFactor)
    {
        var error = rd_kafka_mock_topic_create(_cluster, name, partitions, replicationFactor);
        if (error != 0)
        {
            throw new InvalidOperationException($"Mock cluster could not create topic {name}: error {error}.");
        }
    }

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

    // Debian lacks libsasl2.so.3, which the default librdkafka.so needs; the centos8 build loads.
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
}
