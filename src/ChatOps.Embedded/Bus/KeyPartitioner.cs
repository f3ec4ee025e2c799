using System.Text;

namespace ChatOps.Embedded.Bus;

/// <summary>
/// Maps a message key to a partition with 32-bit FNV-1a over its UTF-8 bytes: the same key lands on
/// the same partition in every process and every run (string.GetHashCode is randomised per process).
/// </summary>
public static class KeyPartitioner
{
    private const uint OffsetBasis = 2166136261;
    private const uint Prime = 16777619;

    public static int PartitionFor(string key, int partitionCount)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitionCount, 1);
        return (int)(Fnv1a(key) % (uint)partitionCount);
    }

    internal static uint Fnv1a(string key)
    {
        var byteCount = Encoding.UTF8.GetByteCount(key);
        Span<byte> bytes = byteCount <= 256 ? stackalloc byte[byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(key, bytes);
        var hash = OffsetBasis;
        foreach (var b in bytes)
        {
            hash = unchecked((hash ^ b) * Prime);
        }

        return hash;
    }
}
