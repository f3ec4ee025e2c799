using System.Text;

namespace ChatOps.Kafka.Tests.Support;

/// <summary>
/// The partition librdkafka's murmur2 partitioner (the bus's, and Java's default) picks for a key, so a
/// test can choose keys that share a partition. Checked against the real producer by a test.
/// </summary>
public static class KafkaKeyPartitioner
{
    public static int PartitionFor(string key, int partitions) => (int)((uint)(Murmur2(Encoding.UTF8.GetBytes(key)) & 0x7fffffff) % (uint)partitions);

    /// <summary><paramref name="count"/> keys of the form <c>server-N</c> that land on <paramref name="partition"/>.</summary>
    public static IReadOnlyList<string> KeysOn(int partition, int partitions, int count) =>
        Enumerable.Range(0, 100_000).Select(i => $"server-{i}").Where(k => PartitionFor(k, partitions) == partition).Take(count).ToList();

    private static int Murmur2(byte[] data)
    {
        const uint m = 0x5bd1e995;
        const int r = 24;
        var length = data.Length;
        var h = 0x9747b28c ^ (uint)length;
        var whole = length / 4;
        for (var i = 0; i < whole; i++)
        {
            var at = i * 4;
            var k = data[at] | ((uint)data[at + 1] << 8) | ((uint)data[at + 2] << 16) | ((uint)data[at + 3] << 24);
            k *= m;
            k ^= k >> r;
            k *= m;
            h *= m;
            h ^= k;
        }

        var tail = length & ~3;
        switch (length % 4)
        {
            case 3:
                h ^= (uint)data[tail + 2] << 16;
                goto case 2;
            case 2:
                h ^= (uint)data[tail + 1] << 8;
                goto case 1;
            case 1:
                h ^= data[tail];
                h *= m;
                break;
        }

        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return (int)h;
    }
}
