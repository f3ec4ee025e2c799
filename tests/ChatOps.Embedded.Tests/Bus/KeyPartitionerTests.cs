using ChatOps.Embedded.Bus;

namespace ChatOps.Embedded.Tests.Bus;

public sealed class KeyPartitionerTests
{
    // FNV-1a 32-bit reference values ("" = 0x811c9dc5, "a" = 0xe40c292c, "foobar" = 0xbf9cf968) taken
    // modulo int.MaxValue: the same in every process, so a restarted node partitions keys alike.
    [Theory]
    [InlineData("", 18652614)]
    [InlineData("a", 1678518573)]
    [InlineData("foobar", 1067252073)]
    public void The_partition_is_fnv1a_of_the_utf8_key(string key, int expected)
    {
        Assert.Equal(expected, KeyPartitioner.PartitionFor(key, int.MaxValue));
    }

    [Fact]
    public void Keys_spread_over_all_partitions()
    {
        var counts = new int[8];
        for (var i = 0; i < 8000; i++)
        {
            counts[KeyPartitioner.PartitionFor($"web-{i}", 8)]++;
        }

        Assert.All(counts, c => Assert.InRange(c, 500, 1500));
    }

    [Fact]
    public void Non_ascii_and_long_keys_are_hashed_by_their_utf8_bytes()
    {
        var longKey = new string('ä', 1000);

        Assert.Equal(KeyPartitioner.PartitionFor(longKey, 8), KeyPartitioner.PartitionFor(new string('ä', 1000), 8));
        Assert.NotEqual(KeyPartitioner.PartitionFor("é", int.MaxValue), KeyPartitioner.PartitionFor("e\u0301", int.MaxValue));
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentNullException>(() => KeyPartitioner.PartitionFor(null!, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyPartitioner.PartitionFor("k", 0));
    }
}
