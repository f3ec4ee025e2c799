using System.Reflection;
using System.Runtime.InteropServices;
using ChatOps.Kafka.Tests.Support;

namespace ChatOps.Kafka.Tests.Volume;

/// <summary>
/// The mock cluster's round-trip delay (<c>rd_kafka_mock_broker_set_rtt</c>): a broker handles each request
/// at once (a produce is appended) but holds its response for the delay. Taking the broker down meanwhile
/// loses those responses, so the producer retries batches the log already has, the case idempotence exists
/// for. <see cref="MockKafkaCluster"/> (shared, not ours to change) does not expose it, so its cluster handle
/// is read here; its static constructor has already pointed this assembly's "rdkafka" at the right library.
/// </summary>
internal static class MockClusterDelays
{
    private static readonly FieldInfo ClusterHandle = typeof(MockKafkaCluster).GetField("_cluster", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new InvalidOperationException("MockKafkaCluster no longer keeps its handle in _cluster; update MockClusterDelays.");

    public static void SetRoundTrip(MockKafkaCluster cluster, int brokerId, TimeSpan delay)
    {
        var handle = (IntPtr)ClusterHandle.GetValue(cluster)!;
        var error = rd_kafka_mock_broker_set_rtt(handle, brokerId, (int)delay.TotalMilliseconds);
        if (error != 0)
        {
            throw new InvalidOperationException($"Mock cluster could not delay broker {brokerId}: error {error}.");
        }
    }

    [DllImport("rdkafka")]
    private static extern int rd_kafka_mock_broker_set_rtt(IntPtr cluster, int brokerId, int rttMs);
}
