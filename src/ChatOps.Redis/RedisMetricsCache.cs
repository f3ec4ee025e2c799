using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Redis.Internal;

namespace ChatOps.Redis;

/// <summary>
/// <see cref="IMetricsCache"/> on Redis: <c>metrics:latest:{server_id}</c> holds the newest snapshot as
/// JSON, written with <c>SET ... PX</c> so it disappears <see cref="RedisStateOptions.MetricsTtl"/>
/// (60 s) after the last report, without any sweeping on our side.
/// </summary>
public sealed class RedisMetricsCache(RedisStateConnection connection) : IMetricsCache
{
    private readonly RedisStateConnection _connection = connection ?? throw new ArgumentNullException(nameof(connection));

    public Task SetLatestAsync(MetricSnapshot snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentException.ThrowIfNullOrWhiteSpace(snapshot.ServerId, nameof(snapshot));
        ArgumentNullException.ThrowIfNull(snapshot.Samples, nameof(snapshot));

        var key = _connection.Key(StateKeys.MetricsLatest(snapshot.ServerId));
        var json = MetricsJson.Write(snapshot);
        return _connection.RunAsync(db => db.StringSetAsync(key, json, _connection.MetricsTtl), cancellationToken);
    }

    public async Task<MetricSnapshot?> GetLatestAsync(string serverId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);

        var key = _connection.Key(StateKeys.MetricsLatest(serverId));
        var value = await _connection.RunAsync(db => db.StringGetAsync(key), cancellationToken);
        return value.IsNull ? null : MetricsJson.Read(value.ToString(), key.ToString());
    }
}
