using ChatOps.Core.Domain;

namespace ChatOps.Core.Ports;

/// <summary><c>metrics:latest:{server_id}</c>: the newest snapshot per server, gone after <see cref="Ttl"/>.</summary>
public interface IMetricsCache
{
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(60);

    Task SetLatestAsync(MetricSnapshot snapshot, CancellationToken cancellationToken = default);

    /// <summary>Null when nothing was reported within the TTL.</summary>
    Task<MetricSnapshot?> GetLatestAsync(string serverId, CancellationToken cancellationToken = default);
}
