namespace Rookery.Storage.Postgres;

/// <summary>
/// Converts instants to and from <c>timestamptz</c> columns at millisecond precision, the precision the SQLite backend
/// keeps, so that both backends hand back the same value for the same input.
/// </summary>
internal static class PostgresTime
{
    /// <summary>
    /// The instant truncated to the millisecond, at offset zero: Npgsql writes a <see cref="DateTimeOffset"/> to
    /// <c>timestamptz</c> only when it is UTC.
    /// </summary>
    public static DateTimeOffset ToColumn(DateTimeOffset value) => DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds());

    /// <summary>A <c>timestamptz</c> value as Npgsql reads it (a UTC <see cref="DateTime"/>) as an instant at offset zero.</summary>
    public static DateTimeOffset FromColumn(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
