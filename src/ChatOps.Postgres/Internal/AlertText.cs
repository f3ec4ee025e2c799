using System.Text.Json;
using ChatOps.Core.Events;

namespace ChatOps.Postgres.Internal;

/// <summary>
/// Alert enums as snake_case text (the spelling of the bus and of the SQLite store) and the
/// documents of the alert tables' jsonb columns (rules, terms), in the project's one set of JSON options.
/// </summary>
internal static class AlertText
{
    public static string ToText<T>(T value) where T : struct, Enum =>
        Enum.IsDefined(value)
            ? JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString())
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"not a defined {typeof(T).Name}");

    public static T FromText<T>(string text, string column) where T : struct, Enum =>
        Enum.TryParse<T>(text.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value
            : throw new InvalidDataException($"unknown value '{text}' in {column}");

    public static string ToJson<T>(T value) => JsonSerializer.Serialize(value, ChatOpsJson.Options);

    public static T FromJson<T>(string json, string column) =>
        JsonSerializer.Deserialize<T>(json, ChatOpsJson.Options) ?? throw new InvalidDataException($"the stored {column} is null JSON");
}
