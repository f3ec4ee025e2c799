using ChatOps.Core.Ports;
using ChatOps.Redis.Internal;
using StackExchange.Redis;

namespace ChatOps.Redis;

/// <summary>
/// <see cref="ILiveSubscriptions"/> on Redis at <c>ws:subscribers:{server_id}</c>.
/// </summary>
/// <remarks>
/// The product names this key a set of client ids. Redis cannot expire members of a plain set, and a
/// node that dies would leave its pages there for good; a key-wide TTL would instead drop everybody when
/// one page stops refreshing. So it is a sorted set (still a set of client ids, readable with
/// <c>ZRANGE</c>) whose score is each member's lease expiry in Redis milliseconds: reads count only
/// leases that have not lapsed, adds sweep the lapsed ones, and the key's own TTL follows its newest
/// lease so an abandoned set disappears whole.
/// </remarks>
public sealed class RedisLiveSubscriptions(RedisStateConnection connection) : ILiveSubscriptions
{
    private readonly RedisStateConnection _connection = connection ?? throw new ArgumentNullException(nameof(connection));

    public Task AddAsync(string serverId, string subscriberId, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        ArgumentException.ThrowIfNullOrWhiteSpace(subscriberId);
        StateArguments.RequirePositive(ttl);
        return _connection.RunAsync(
            db => db.ScriptEvaluateAsync(LiveSubscriptionScripts.Add, [Key(serverId)], [subscriberId, StateArguments.Milliseconds(ttl)]),
            cancellationToken);
    }

    public Task RemoveAsync(string serverId, string subscriberId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        ArgumentException.ThrowIfNullOrWhiteSpace(subscriberId);
        return _connection.RunAsync(db => db.SortedSetRemoveAsync(Key(serverId), subscriberId), cancellationToken);
    }

    public async Task<IReadOnlyList<string>> MembersAsync(string serverId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        var result = await _connection.RunAsync(db => db.ScriptEvaluateAsync(LiveSubscriptionScripts.Members, [Key(serverId)]), cancellationToken);
        return ((RedisValue[]?)result ?? []).Select(v => v.ToString()).Order(StringComparer.Ordinal).ToList();
    }

    public async Task<long> CountAsync(string serverId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        var result = await _connection.RunAsync(db => db.ScriptEvaluateAsync(LiveSubscriptionScripts.Count, [Key(serverId)]), cancellationToken);
        return (long)result;
    }

    private RedisKey Key(string serverId) => _connection.Key(StateKeys.WsSubscribers(serverId));
}
