using ChatOps.Core.Commands;
using ChatOps.Core.Ports;

namespace ChatOps.Core.Identity;

/// <summary>
/// Who may run what where: the one place every entry point asks (chat intake, buttons, REST, the
/// page; then the router again for each resolved server). Without an <see cref="IPolicyStore"/> the
/// catalog's defaults apply and rules cannot be edited.
/// </summary>
public sealed class AccessPolicy(ICommandCatalog catalog, IPolicyStore? store = null)
{
    public bool IsEditable => store is not null;

    public ICommandCatalog Catalog => catalog;

    /// <summary>The rules now (one store read), for any number of decisions.</summary>
    public async Task<PolicySnapshot> SnapshotAsync(CancellationToken cancellationToken = default) =>
        new(catalog, store is null ? PolicyData.Empty : await store.LoadAsync(cancellationToken));
}
