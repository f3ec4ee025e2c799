namespace ChatOps.Redis.Tests.Support;

/// <summary>
/// A primary and one replica (<c>--replicaof</c>), two <c>redis-server</c> processes, for failover tests.
/// Each test makes its own pair: the tests kill, freeze and promote them. The adapters are pointed at
/// both endpoints, as a deployment with a replica (and Sentinel or an operator promoting it) would be.
/// </summary>
public sealed class ReplicatedRedis : IAsyncDisposable
{
    private readonly List<RedisStateConnection> _connections = [];

    private ReplicatedRedis(RedisServerProcess primary, RedisServerProcess replica)
    {
        Primary = primary;
        Replica = replica;
    }

    public RedisServerProcess Primary { get; }

    public RedisServerProcess Replica { get; }

    /// <summary>Both endpoints, primary first: the StackExchange.Redis configuration string.</summary>
    public string Configuration => $"{Primary.EndPoint},{Replica.EndPoint}";

    public static async Task<ReplicatedRedis> StartAsync()
    {
        var primary = await RedisServerProcess.StartAsync();
        try
        {
            var replica = await RedisServerProcess.StartAsync(replicaOf: primary);
            await replica.WaitForReplicationLinkAsync();
            await primary.WaitForConnectedReplicasAsync(1);
            return new ReplicatedRedis(primary, replica);
        }
        catch
        {
            await primary.DisposeAsync();
            throw;
        }
    }

    /// <summary>A new connection (its own multiplexer, as another ChatOps process has) to both servers.</summary>
    public RedisStateConnection Connect(string keyPrefix, Action<RedisStateOptions>? configure = null)
    {
        var options = new RedisStateOptions
        {
            Configuration = Configuration,
            KeyPrefix = keyPrefix,
            ConnectTimeout = TimeSpan.FromSeconds(1),
            OperationTimeout = TimeSpan.FromMilliseconds(500),
        };
        configure?.Invoke(options);
        var connection = new RedisStateConnection(options);
        lock (_connections)
        {
            _connections.Add(connection);
        }

        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        List<RedisStateConnection> connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }

        await Replica.DisposeAsync();
        await Primary.DisposeAsync();
    }
}
