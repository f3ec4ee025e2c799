using System.Globalization;
using System.Text.RegularExpressions;

namespace ChatOps.Postgres.Internal;

/// <summary>Identifiers this code puts into SQL text, and the keys of its advisory locks.</summary>
internal static partial class PostgresNames
{
    public const string PartitionPrefix = "metric_samples_p";

    private const string PartitionDayFormat = "yyyyMMdd";

    // Only names that never need quoting: a schema name is interpolated into DDL and search_path.
    public static bool IsValidIdentifier(string name) =>
        PlainIdentifier().IsMatch(name) && !name.StartsWith("pg_", StringComparison.Ordinal);

    /// <summary>The daily partition holding [day, day + 1).</summary>
    public static string PartitionName(DateOnly day) =>
        PartitionPrefix + day.ToString(PartitionDayFormat, CultureInfo.InvariantCulture);

    /// <summary>The day of a partition this code created, or null for any other table.</summary>
    public static DateOnly? PartitionDay(string tableName) =>
        tableName.StartsWith(PartitionPrefix, StringComparison.Ordinal)
        && DateOnly.TryParseExact(tableName.AsSpan(PartitionPrefix.Length), PartitionDayFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : null;

    /// <summary>
    /// A 64-bit advisory lock key per purpose and schema (FNV-1a), so two schemas in one database
    /// never block each other and the key is the same in every process and build.
    /// </summary>
    public static long LockKey(string purpose, string schema)
    {
        const ulong offset = 14695981039346656037;
        const ulong prime = 1099511628211;
        var hash = offset;
        foreach (var c in $"chatops:{purpose}:{schema}")
        {
            hash = (hash ^ c) * prime;
        }

        return unchecked((long)hash);
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainIdentifier();
}
