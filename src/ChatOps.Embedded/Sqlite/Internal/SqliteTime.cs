using System.Globalization;

namespace ChatOps.Embedded.Sqlite.Internal;

/// <summary>
/// Instants are stored as fixed-width ISO-8601 UTC text with 100 ns precision, so that text
/// order is time order (ORDER BY and range filters work on the column as it is).
/// </summary>
internal static class SqliteTime
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    public static string ToText(DateTimeOffset value) =>
        value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public static string? ToText(DateTimeOffset? value) => value is { } v ? ToText(v) : null;

    public static DateTimeOffset FromText(string text) =>
        DateTimeOffset.ParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    public static DateTimeOffset? FromNullableText(string? text) => text is null ? null : FromText(text);
}
