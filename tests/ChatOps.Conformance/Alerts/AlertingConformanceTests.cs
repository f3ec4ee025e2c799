namespace ChatOps.Conformance.Alerts;

/// <summary>
/// The base of the alerting store conformance suites, in the style of
/// <see cref="Store.StoreConformanceTests"/>: an adapter's test project subclasses each suite and
/// implements <see cref="CreateStoresAsync"/>; xUnit makes a new instance per test, so every test
/// gets its own empty database. <see cref="CreateReplicaStores"/> gives the races of the port
/// contracts (one active alert per fingerprint, claims, leases) a second process to race against.
/// </summary>
public abstract class AlertingConformanceTests : IAsyncLifetime
{
    private AlertingStores? _stores;

    protected AlertingStores Stores => _stores ?? throw new InvalidOperationException("the stores are created in InitializeAsync");

    /// <summary>Stores over a fresh, migrated, empty database or schema.</summary>
    protected abstract Task<AlertingStores> CreateStoresAsync();

    /// <summary>
    /// Stores over the same database as <see cref="Stores"/> through connections (and any in-process
    /// write gate) of their own: what another replica of the service would have.
    /// </summary>
    protected abstract AlertingStores CreateReplicaStores();

    /// <summary>Drops what <see cref="CreateStoresAsync"/> made (file, schema).</summary>
    protected virtual Task DestroyStoresAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => _stores = await CreateStoresAsync();

    public Task DisposeAsync() => DestroyStoresAsync();

    /// <summary>
    /// Starts <paramref name="count"/> calls at once on the thread pool, call <c>i</c> on
    /// <paramref name="replicas"/>[i % replicas.Count], and waits for all of them.
    /// </summary>
    protected static async Task<T[]> RunConcurrentlyAsync<T>(int count, IReadOnlyList<AlertingStores> replicas, Func<AlertingStores, int, Task<T>> call)
    {
        // An async gate, not a blocking one: blocked pool threads would start the calls one by one.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, count)
            .Select(i => Task.Run(async () =>
            {
                await start.Task;
                return await call(replicas[i % replicas.Count], i);
            }))
            .ToList();
        start.SetResult();
        return await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary><see cref="Stores"/> and <paramref name="others"/> more replicas of it.</summary>
    protected IReadOnlyList<AlertingStores> Replicas(int others) =>
        [Stores, .. Enumerable.Range(0, others).Select(_ => CreateReplicaStores())];
}
