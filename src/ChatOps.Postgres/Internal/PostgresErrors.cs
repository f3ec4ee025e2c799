using System.Net.Sockets;
using Npgsql;

namespace ChatOps.Postgres.Internal;

/// <summary>SQLSTATEs this code reacts to, and which failures are worth another attempt.</summary>
internal static class PostgresErrors
{
    public const string UniqueViolation = "23505";
    public const string ForeignKeyViolation = "23503";
    public const string CheckViolation = "23514";
    public const string SerializationFailure = "40001";
    public const string DeadlockDetected = "40P01";

    public static bool IsUniqueViolation(PostgresException exception) => exception.SqlState == UniqueViolation;

    public static bool IsForeignKeyViolation(PostgresException exception) => exception.SqlState == ForeignKeyViolation;

    /// <summary>The server rolled the transaction back: nothing of it was applied, so any operation may run again.</summary>
    public static bool IsAborted(Exception exception) =>
        exception is PostgresException { SqlState: SerializationFailure or DeadlockDetected };

    /// <summary>
    /// The connection failed or the server is going away or starting up. Whether a statement sent
    /// before the failure was applied is unknown, so only an idempotent operation may be repeated.
    /// </summary>
    public static bool IsConnectionFailure(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
            || postgres.SqlState is "57P01" or "57P02" or "57P03" or "53300",
        NpgsqlException npgsql => npgsql.IsTransient
            || npgsql.InnerException is IOException or SocketException or TimeoutException
            || IsNoSuitableHost(npgsql),
        _ => false,
    };

    /// <summary>
    /// A multi-host data source (<c>Host=a,b;Target Session Attributes=primary</c>) found no server
    /// in the wanted role: every host is down, or the one left is (or was, in its cached state) a
    /// standby, as between a primary's crash and a standby's promotion. Thrown while opening, so
    /// nothing was sent. Npgsql gives it no error code: with no host even tried it is this message,
    /// else an aggregate of each host's failure.
    /// </summary>
    public static bool IsNoSuitableHost(NpgsqlException exception) => exception switch
    {
        PostgresException => false,
        { InnerException: AggregateException aggregate } => aggregate.InnerExceptions.All(IsConnectionFailure),
        _ => exception.InnerException is null && exception.Message.StartsWith("No suitable host", StringComparison.Ordinal),
    };
}
