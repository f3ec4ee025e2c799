namespace ChatOps.Redis.Tests.Failover;

public sealed class LockReplicaAcksOptionTests
{
    [Theory]
    [InlineData(-1)]
    [InlineData(17)]
    public void A_replica_count_out_of_range_is_refused_by_its_configuration_key(int acks)
    {
        var failure = Assert.Single(new RedisStateOptions { Configuration = "127.0.0.1:6379", LockReplicaAcks = acks }.Validate());

        Assert.StartsWith("ChatOps:Redis:LockReplicaAcks must be between 0 and 16", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_zero_and_a_few_replicas_are_valid()
    {
        Assert.Empty(new RedisStateOptions { Configuration = "127.0.0.1:6379" }.Validate());
        Assert.Empty(new RedisStateOptions { Configuration = "127.0.0.1:6379", LockReplicaAcks = 0 }.Validate());
        Assert.Empty(new RedisStateOptions { Configuration = "127.0.0.1:6379,127.0.0.1:6380", LockReplicaAcks = 2 }.Validate());
    }
}
