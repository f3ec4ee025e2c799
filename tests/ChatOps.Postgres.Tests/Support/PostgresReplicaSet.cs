using Npgsql;

namespace ChatOps.Postgres.Tests.Support;

/// <summary>
/// A primary and a streaming standby on this machine, set up the way a deployment that must not
/// lose an acknowledged write at fail-over is: the standby is made with <c>pg_basebackup -R</c>
/// as a dedicated replication user, and the primary commits synchronously to it
/// (<c>synchronous_standby_names</c>, <c>synchronous_commit=on</c>), so a commit is acknowledged
/// only once the standby has its WAL. <see cref="FailOverAsync"/> crashes the primary and promotes
/// the standby. Disposing stops whatever still runs and deletes the folder, also after a failure.
/// </summary>
internal sealed class PostgresReplicaSet : IAsyncDisposable
{
    public const string DatabaseName = "chatops_tests";
    public const string ReplicationUser = "replicator";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    private readonly string _folder;

    private PostgresReplicaSet(string folder, PostgresNode primary, PostgresNode standby)
    {
        _folder = folder;
        Primary = primary;
        Standby = standby;
    }

    /// <summary>The primary until <see cref="FailOverAsync"/>, then a crashed server.</summary>
    public PostgresNode Primary { get; }

    /// <summary>The standby until <see cref="FailOverAsync"/>, then the primary.</summary>
    public PostgresNode Standby { get; }

    /// <summary>
    /// Both servers, the primary first, for clients that find the writable one themselves:
    /// <c>Host=127.0.0.1:p1,127.0.0.1:p2;Target Session Attributes=primary</c>.
    /// </summary>
    public string MultiHostConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = $"127.0.0.1:{Primary.Port},127.0.0.1:{Standby.Port}",
        Username = "postgres",
        Database = DatabaseName,
        TargetSessionAttributes = "primary",
        Timeout = 5,
    }.ConnectionString;

    public static async Task<PostgresReplicaSet> StartAsync()
    {
        var binDir = await PostgresBinaries.FindAsync();
        var folder = Path.Combine(Path.GetTempPath(), "chatops-pgrs-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        var asPostgresUser = Environment.IsPrivilegedProcess;
        var set = new PostgresReplicaSet(
            folder,
            new PostgresNode("primary", binDir, Path.Combine(folder, "primary"), asPostgresUser),
            new PostgresNode("standby", binDir, Path.Combine(folder, "standby"), asPostgresUser));
        try
        {
            await set.BuildAsync();
            return set;
        }
        catch
        {
            await set.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Crashes the primary (immediate stop: no checkpoint, connections drop) and promotes the
    /// standby. The old primary stays down, so there is never a second writable server.
    /// </summary>
    public async Task FailOverAsync()
    {
        await Primary.CrashAsync();
        await Standby.PromoteAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Primary.StopForCleanUpAsync();
        }
        finally
        {
            try
            {
                await Standby.StopForCleanUpAsync();
            }
            finally
            {
                if (Directory.Exists(_folder))
                {
                    Directory.Delete(_folder, recursive: true);
                }
            }
        }
    }

    private async Task BuildAsync()
    {
        await Primary.InitDbAsync();
        // initdb's pg_hba.conf (-A trust) already lets "replication" connections in from
        // 127.0.0.1; this line names the replication user, as a real deployment's (with scram) would.
        await File.AppendAllTextAsync(Path.Combine(Primary.DataDir, "pg_hba.conf"),
            $"\nhost replication {ReplicationUser} 127.0.0.1/32 trust\n");
        // fsync and full_page_writes stay off for speed: the "crash" ends processes, not the OS, so
        // the page cache keeps everything written. Durability here is the standby's copy.
        await Primary.StartAsync(["wal_level=replica", "max_wal_senders=5", "fsync=off", "full_page_writes=off"]);
        await ExecuteAsync(Primary, "postgres", $"CREATE ROLE {ReplicationUser} WITH REPLICATION LOGIN");

        await Standby.BaseBackupFromAsync(Primary, ReplicationUser);
        // The standby's walreceiver reports cluster_name as its application_name.
        await Standby.StartAsync(["cluster_name=chatops_standby", "hot_standby=on", "fsync=off", "full_page_writes=off"]);

        // Only now, and only on the primary (ALTER SYSTEM writes the primary's own auto.conf, which
        // the standby copied before): set earlier, the setup's own commits would wait for a standby
        // that does not exist yet; copied to the standby, the promoted server would wait forever
        // for a standby of its own.
        await ExecuteAsync(Primary, "postgres", "ALTER SYSTEM SET synchronous_standby_names = 'chatops_standby'");
        await ExecuteAsync(Primary, "postgres", "ALTER SYSTEM SET synchronous_commit = 'on'");
        await ExecuteAsync(Primary, "postgres", "SELECT pg_reload_conf()");
        await WaitForSynchronousStandbyAsync();

        await ExecuteAsync(Primary, "postgres", $"CREATE DATABASE {DatabaseName}");
    }

    private async Task WaitForSynchronousStandbyAsync()
    {
        using var deadline = new CancellationTokenSource(ReadyTimeout);
        var states = "";
        while (!deadline.IsCancellationRequested)
        {
            await using (var connection = new NpgsqlConnection(Primary.ConnectionString("postgres")))
            {
                await connection.OpenAsync();
                await using var query = new NpgsqlCommand(
                    "SELECT coalesce(string_agg(application_name || '=' || sync_state, ', '), '') FROM pg_stat_replication", connection);
                states = (string)(await query.ExecuteScalarAsync())!;
                if (states.Contains("chatops_standby=sync", StringComparison.Ordinal))
                {
                    return;
                }
            }

            // Polling a server's state: there is no event to wait on. Short, and bounded by the deadline.
            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }

        throw new TimeoutException(
            $"the standby did not become the primary's synchronous standby within {ReadyTimeout} (pg_stat_replication: '{states}')\n" +
            $"{Primary.ServerLogTail()}\n{Standby.ServerLogTail()}");
    }

    private static async Task ExecuteAsync(PostgresNode node, string database, string sql)
    {
        await using var connection = new NpgsqlConnection(node.ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
