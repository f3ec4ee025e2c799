namespace ChatOps.Postgres.Internal;

/// <summary>
/// Instants go to timestamptz as UTC <see cref="DateTime"/>s (Npgsql refuses other offsets) and
/// come back as UTC <see cref="DateTimeOffset"/>s. PostgreSQL keeps microseconds.
/// </summary>
internal static class PostgresTime
{
    public static DateTime ToDb(DateTimeOffset value) => value.UtcDateTime;

    public static DateTime? ToDb(DateTimeOffset? value) => value?.UtcDateTime;

    public static DateTimeOffset FromDb(DateTime value) =>
        new(DateTime.SpecifyKind(value, DateTimeKind.Utc), TimeSpan.Zero);

    public static DateTimeOffset? FromDb(DateTime? value) => value is { } v ? FromDb(v) : null;

    /// <summary>The start of the bucket of <paramref name="size"/> holding <paramref name="value"/> (UTC, epoch-aligned).</summary>
    public static DateTimeOffset Floor(DateTimeOffset value, TimeSpan size)
    {
        var ticks = value.UtcTicks;
        return new DateTimeOffset(ticks - (ticks % size.Ticks), TimeSpan.Zero);
    }

    public static DateTimeOffset Ceiling(DateTimeOffset value, TimeSpan size)
    {
        var floor = Floor(value, size);
        return floor == value ? floor : floor + size;
    }

    public static DateOnly Day(DateTimeOffset value) => DateOnly.FromDateTime(value.UtcDateTime);

    public static DateTimeOffset StartOf(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
}
