using ChatOps.Core.Commands;
using ChatOps.Core.Ports;

namespace ChatOps.Core.Identity;

/// <summary>
/// Who may run what where: the one place every entry point asks (chat intake, buttons, REST, the
/// page; then the router again for each resolved server). Without an <see cref="IPolicyStore"/> the
/// catalog's defaults apply and rules cannot be edited. With an <see cref="IdentityCache"/> the rules
/// are read from the store once per TTL or change (see its bounds), not once per request.
/// </summary>
public sealed class AccessPolicy(ICommandCatalog catalog, IPolicyStore? store = null, IdentityCache? cache = null)
{
    private readonly PolicySnapshot _defaults = new(catalog, PolicyData.Empty);

    public bool IsEditable => store is not null;

    public ICommandCatalog Catalog => catalog;

    /// <summary>The rules now (cached, or one store read), for any number of decisions.</summary>
    public async Task<PolicySnapshot> SnapshotAsync(CancellationToken cancellationToken = default)
    {
        if (store is null) return _defaults;
        if (cache is not null && cache.TryGetPolicy(out var cached)) return cached;
        var generation = cache?.Generation ?? 0;
        var snapshot = new PolicySnapshot(catalog, await store.LoadAsync(cancellationToken));
        cache?.StorePolicy(snapshot, generation);
        return snapshot;
    }

    /// <summary>The rules as stored this instant, bypassing the cache: the base of an edit.</summary>
    public async Task<PolicySnapshot> FreshSnapshotAsync(CancellationToken cancellationToken = default) =>
        store is null ? _defaults : new PolicySnapshot(catalog, await store.LoadAsync(cancellationToken));

    /// <summary>Called after every rule or risk change: this process at once, the others through pub/sub.</summary>
    public Task InvalidateAsync(CancellationToken cancellationToken = default) =>
        cache?.InvalidatePolicyAsync(cancellationToken) ?? Task.CompletedTask;
}
