namespace ChatOps.Core.Ports;

/// <summary>
/// <c>ws:subscribers:{server_id}</c>: the live pages (web clients) watching a server, across every web
/// node. Each membership is a lease: the node holding the page's connection adds it with a TTL, refreshes
/// it while the page stays connected and removes it on disconnect; a node that dies without removing
/// its pages' memberships loses them once the TTL passes, so the set never keeps ghosts for long.
/// </summary>
/// <remarks>
/// Failure contract: when the state store is away every call throws <see cref="StateUnavailableException"/>
/// (nothing is retried here). Live updates are best-effort, so callers log it and carry on. Invalid
/// arguments (blank ids, a TTL not above zero) throw <see cref="ArgumentException"/>.
/// </remarks>
public interface ILiveSubscriptions
{
    /// <summary>Adds <paramref name="subscriberId"/> to <paramref name="serverId"/>'s watchers, or renews its lease, for <paramref name="ttl"/> from now.</summary>
    Task AddAsync(string serverId, string subscriberId, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>Removes the membership; removing one that is not there (or lapsed) is harmless.</summary>
    Task RemoveAsync(string serverId, string subscriberId, CancellationToken cancellationToken = default);

    /// <summary>The watchers whose lease has not lapsed, ordered by id.</summary>
    Task<IReadOnlyList<string>> MembersAsync(string serverId, CancellationToken cancellationToken = default);

    /// <summary>How many watchers have a lease that has not lapsed.</summary>
    Task<long> CountAsync(string serverId, CancellationToken cancellationToken = default);
}
