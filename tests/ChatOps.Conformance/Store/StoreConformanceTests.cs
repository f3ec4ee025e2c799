namespace ChatOps.Conformance.Store;

/// <summary>
/// The base of the store conformance suites. An adapter's test project subclasses each suite
/// and implements <see cref="CreateStoresAsync"/>; xUnit makes a new instance per test, so
/// every test gets its own empty database and tests never see each other's rows.
/// </summary>
public abstract class StoreConformanceTests : IAsyncLifetime
{
    private StoreSet? _stores;

    protected StoreSet Stores => _stores ?? throw new InvalidOperationException("the stores are created in InitializeAsync");

    /// <summary>Stores over a fresh, migrated, empty database or schema.</summary>
    protected abstract Task<StoreSet> CreateStoresAsync();

    /// <summary>Drops what <see cref="CreateStoresAsync"/> made (file, schema).</summary>
    protected virtual Task DestroyStoresAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => _stores = await CreateStoresAsync();

    public Task DisposeAsync() => DestroyStoresAsync();

    /// <summary>Starts <paramref name="count"/> calls at once on the thread pool and waits for all of them.</summary>
    protected static async Task<T[]> RunConcurrentlyAsync<T>(int count, Func<int, Task<T>> call)
    {
        // An async gate, not a blocking one: blocked pool threads would start the calls one by one.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, count)
            .Select(i => Task.Run(async () =>
            {
                await start.Task;
                return await call(i);
            }))
            .ToList();
        start.SetResult();
        return await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
    }
}
