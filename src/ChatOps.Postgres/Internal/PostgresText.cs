namespace ChatOps.Postgres.Internal;

/// <summary>Text PostgreSQL cannot store as it is.</summary>
internal static class PostgresText
{
    /// <summary>
    /// PostgreSQL text cannot hold U+0000, which a program's output can contain. It becomes U+FFFD
    /// (the replacement character), visibly, rather than failing the write on every redelivery.
    /// </summary>
    public static string WithoutNul(string text) => text.Contains('\0', StringComparison.Ordinal) ? text.Replace('\0', '\uFFFD') : text;
}
