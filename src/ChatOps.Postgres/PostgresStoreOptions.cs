namespace ChatOps.Postgres;

/// <summary>
/// The PostgreSQL store (configuration section <c>ChatOps:Postgres</c>, chosen with
/// <c>ChatOps:Store=postgres</c>). Checked by <see cref="Validate"/> at start-up, every failure at once.
/// </summary>
public sealed class PostgresStoreOptions
{
    public const string SectionName = "ChatOps:Postgres";

    /// <summary>Npgsql connection string of the primary (read-write) server. Required.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// Optional connection string of a read replica, used only for read-heavy queries that tolerate
    /// replication lag: metric charts, command history lists and audit queries. Everything the
    /// command state machine reads goes to the primary.
    /// </summary>
    public string? ReadReplicaConnectionString { get; set; }

    /// <summary>
    /// The schema that holds the tables; created when missing. Null uses the connection's default
    /// (normally <c>public</c>, or the connection string's <c>Search Path</c>).
    /// </summary>
    public string? Schema { get; set; }

    /// <summary>How often an operation that is safe to repeat is retried after a transient failure (0 = never).</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>The first pause before such a retry; each next one doubles.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Time-series storage of agent metrics (<c>ChatOps:Postgres:Metrics:...</c>).</summary>
    public PostgresMetricsOptions Metrics { get; set; } = new();

    /// <summary>Every problem, each naming its configuration key; empty when the options are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            failures.Add($"{SectionName}:ConnectionString is empty: set it to the primary server, e.g. Host=db;Database=chatops;Username=chatops;Password=...");
        }
        else
        {
            CheckConnectionString(failures, "ConnectionString", ConnectionString);
        }

        if (ReadReplicaConnectionString is not null)
        {
            if (string.IsNullOrWhiteSpace(ReadReplicaConnectionString))
            {
                failures.Add($"{SectionName}:ReadReplicaConnectionString is blank: remove it or set it to a replica's connection string");
            }
            else
            {
                CheckConnectionString(failures, "ReadReplicaConnectionString", ReadReplicaConnectionString);
            }
        }

        if (Schema is not null && !Internal.PostgresNames.IsValidIdentifier(Schema))
        {
            failures.Add($"{SectionName}:Schema '{Schema}' is not a plain identifier: use lower-case letters, digits and _ (at most 63, not starting with a digit or pg_)");
        }

        if (MaxRetryAttempts is < 0 or > 10)
        {
            failures.Add($"{SectionName}:MaxRetryAttempts must be between 0 and 10, not {MaxRetryAttempts}");
        }

        if (RetryDelay < TimeSpan.Zero || RetryDelay > TimeSpan.FromSeconds(10))
        {
            failures.Add($"{SectionName}:RetryDelay must be between 0 and 10 seconds, not {RetryDelay}");
        }

        if (Metrics is null)
        {
            failures.Add($"{SectionName}:Metrics is null");
        }
        else
        {
            failures.AddRange(Metrics.Validate($"{SectionName}:Metrics"));
        }

        return failures;
    }

    private static void CheckConnectionString(List<string> failures, string key, string value)
    {
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(value);
        }
        catch (ArgumentException ex)
        {
            // The message names the bad keyword; the value may hold a password, so it is not echoed.
            failures.Add($"{SectionName}:{key} is not a valid Npgsql connection string: {ex.Message}");
        }
    }
}
