using System.Data.Common;
using ChatOps.Core.Domain;
using ChatOps.Postgres;
using Npgsql;

namespace ChatOps.Benchmarks.Postgres;

/// <summary>ChatOps.Postgres as the server wires it (<c>AddPostgresStore</c>, migrations, the metrics ingestor).</summary>
public sealed class PostgresAdapter : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly PostgresMetricsIngestor _ingestor;

    private PostgresAdapter(ServiceProvider provider, PostgresMetricsIngestor ingestor, DbDataSource primary)
    {
        _provider = provider;
        _ingestor = ingestor;
        Primary = primary;
    }

    /// <summary>The pooled primary data source.</summary>
    public DbDataSource Primary { get; }

    public ValueTask Enqueue(MetricSnapshot snapshot, CancellationToken cancellationToken) => _ingestor.EnqueueAsync(snapshot, cancellationToken);

    public Task Flush(CancellationToken cancellationToken) => _ingestor.FlushAsync(cancellationToken);

    public long StoredSampleCount => _ingestor.StoredSampleCount;

    /// <summary>Registers the store with <paramref name="settings"/> (keys under ChatOps:Postgres) and migrates the schema.</summary>
    public static async Task<PostgresAdapter> StartAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("ChatOps:Postgres");
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        services.AddPostgresStore(options => configuration.Bind(options));
        var provider = services.BuildServiceProvider();
        foreach (var hosted in provider.GetServices<IHostedService>()) await hosted.StartAsync(CancellationToken.None);
        var primary = provider.GetRequiredService<PostgresDataSources>().Primary;
        return new PostgresAdapter(provider, provider.GetRequiredService<PostgresMetricsIngestor>(), primary);
    }

    /// <summary>Opens a raw <c>COPY ... FROM STDIN (FORMAT BINARY)</c> stream.</summary>
    public static async Task<Stream> BeginRawBinaryCopyAsync(DbConnection connection, string copy) =>
        await ((NpgsqlConnection)connection).BeginRawBinaryCopyAsync(copy, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        foreach (var hosted in _provider.GetServices<IHostedService>().Reverse()) await hosted.StopAsync(CancellationToken.None);
        await _provider.DisposeAsync();
    }
}
