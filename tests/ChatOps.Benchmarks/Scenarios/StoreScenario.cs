using System.Diagnostics;
using System.Globalization;
using ChatOps.Core.Domain;
using ChatOps.Embedded.Sqlite;
using Microsoft.Data.Sqlite;

namespace ChatOps.Benchmarks.Scenarios;

/// <summary>The embedded store's cost per operation next to raw SQLite inserts on the same kind of file.</summary>
public static class StoreScenario
{
    public static async Task RunAsync(BenchArgs args)
    {
        var n = Math.Max(args.Requests, 2000);
        var path = Path.Combine(Path.GetTempPath(), $"chatops-bench-store-{Guid.NewGuid():N}.db");
        using var factory = new SqliteConnectionFactory(new SqliteStoreOptions { Path = path });
        await new SqliteMigrator(factory, TimeProvider.System).MigrateAsync();
        var audit = new SqliteAuditStore(factory);

        var raw = Stopwatch.StartNew();
        await using (var connection = new SqliteConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA synchronous = NORMAL; CREATE TABLE raw (id TEXT PRIMARY KEY, v TEXT);";
            await pragma.ExecuteNonQueryAsync();
            for (var i = 0; i < n; i++)
            {
                using var tx = connection.BeginTransaction(deferred: false);
                using var insert = connection.CreateCommand();
                insert.Transaction = tx;
                insert.CommandText = "INSERT INTO raw (id, v) VALUES ($id, 'x')";
                insert.Parameters.AddWithValue("$id", "r" + i);
                await insert.ExecuteNonQueryAsync();
                tx.Commit();
            }
        }

        raw.Stop();
        var ours = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
            await audit.AppendAsync(new AuditEvent("a" + i, DateTimeOffset.UtcNow, "bench", "bench", null, "ok", null));
        ours.Stop();

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"raw SQLite insert (one connection, own transaction) {n / raw.Elapsed.TotalSeconds,10:0} /s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SqliteAuditStore.AppendAsync                        {n / ours.Elapsed.TotalSeconds,10:0} /s"));
        Report.Ratio("store append", raw.Elapsed.TotalSeconds, ours.Elapsed.TotalSeconds);
        foreach (var file in new[] { path, path + "-wal", path + "-shm" }) File.Delete(file);
    }
}
