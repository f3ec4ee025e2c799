using System.Data.Common;
using System.Reflection;
using System.Runtime.Loader;
using ChatOps.Core.Domain;

namespace ChatOps.Benchmarks.Postgres;

/// <summary>
/// ChatOps.Postgres as the server wires it (<c>AddPostgresStore</c>, migrations, the metrics ingestor), loaded
/// from the chatops build output: this project references the server's build but not its assemblies, and its
/// project file is not ours to change. Everything measured is called through typed delegates made once.
/// </summary>
public sealed class PostgresAdapter : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly object _ingestor;
    private readonly Type _ingestorType;

    private PostgresAdapter(ServiceProvider provider, object ingestor, Type ingestorType, DbDataSource primary)
    {
        _provider = provider;
        _ingestor = ingestor;
        _ingestorType = ingestorType;
        Primary = primary;
        Enqueue = ingestorType.GetMethod("EnqueueAsync")!.CreateDelegate<Func<MetricSnapshot, CancellationToken, ValueTask>>(ingestor);
        Flush = ingestorType.GetMethod("FlushAsync")!.CreateDelegate<Func<CancellationToken, Task>>(ingestor);
    }

    /// <summary>The pooled primary data source (an NpgsqlDataSource).</summary>
    public DbDataSource Primary { get; }

    /// <summary><c>PostgresMetricsIngestor.EnqueueAsync</c>.</summary>
    public Func<MetricSnapshot, CancellationToken, ValueTask> Enqueue { get; }

    /// <summary><c>PostgresMetricsIngestor.FlushAsync</c>.</summary>
    public Func<CancellationToken, Task> Flush { get; }

    public long StoredSampleCount => (long)_ingestorType.GetProperty("StoredSampleCount")!.GetValue(_ingestor)!;

    /// <summary>Registers the store with <paramref name="settings"/> (keys under ChatOps:Postgres) and migrates the schema.</summary>
    public static async Task<PostgresAdapter> StartAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var serverBin = Path.GetDirectoryName(BenchServer.Binary("ChatOps.Server", "chatops.dll"))!;
        AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            var path = Path.Combine(serverBin, name.Name + ".dll");
            return File.Exists(path) ? context.LoadFromAssemblyPath(path) : null;
        };
        var assembly = AssemblyLoadContext.Default.LoadFromAssemblyName(new AssemblyName("ChatOps.Postgres"));
        var optionsType = assembly.GetType("ChatOps.Postgres.PostgresStoreOptions", throwOnError: true)!;
        var ingestorType = assembly.GetType("ChatOps.Postgres.PostgresMetricsIngestor", throwOnError: true)!;
        var dataSourcesType = assembly.GetType("ChatOps.Postgres.PostgresDataSources", throwOnError: true)!;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("ChatOps:Postgres");

        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        var configure = typeof(PostgresAdapter).GetMethod(nameof(Binder), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(optionsType).Invoke(null, [configuration]);
        assembly.GetType("ChatOps.Postgres.PostgresStoreExtensions", throwOnError: true)!.GetMethod("AddPostgresStore")!.Invoke(null, [services, configure]);
        var provider = services.BuildServiceProvider();
        foreach (var hosted in provider.GetServices<IHostedService>()) await hosted.StartAsync(CancellationToken.None);
        var dataSources = provider.GetRequiredService(dataSourcesType);
        var primary = (DbDataSource)dataSourcesType.GetProperty("Primary")!.GetValue(dataSources)!;
        return new PostgresAdapter(provider, provider.GetRequiredService(ingestorType), ingestorType, primary);
    }

    /// <summary>Opens a raw COPY ... FROM STDIN (FORMAT BINARY) stream (NpgsqlConnection.BeginRawBinaryCopyAsync).</summary>
    public static async Task<Stream> BeginRawBinaryCopyAsync(DbConnection connection, string copy)
    {
        var method = connection.GetType().GetMethod("BeginRawBinaryCopyAsync", [typeof(string), typeof(CancellationToken)])!;
        var task = (Task)method.Invoke(connection, [copy, CancellationToken.None])!;
        await task;
        return (Stream)task.GetType().GetProperty("Result")!.GetValue(task)!;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var hosted in _provider.GetServices<IHostedService>().Reverse()) await hosted.StopAsync(CancellationToken.None);
        await _provider.DisposeAsync();
    }

    private static Action<T> Binder<T>(IConfiguration section) => options => section.Bind(options);
}
