using System.Text.Json;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;

namespace ChatOps.Postgres.Internal;

/// <summary>The jsonb columns (tags, roles, args, reply_to, labels), written and read with the project's one set of options.</summary>
internal static class PostgresJson
{
    public const string EmptyObject = "{}";

    public static string FromList(IReadOnlyList<string> values) => JsonSerializer.Serialize(values, ChatOpsJson.Options);

    public static IReadOnlyList<string> ToList(string json, string column) =>
        JsonSerializer.Deserialize<List<string>>(json, ChatOpsJson.Options) ?? throw Corrupt(column);

    public static string FromMap(IReadOnlyDictionary<string, string> values) => JsonSerializer.Serialize(values, ChatOpsJson.Options);

    public static IReadOnlyDictionary<string, string> ToMap(string json, string column) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(json, ChatOpsJson.Options) ?? throw Corrupt(column);

    /// <summary>Labels with their keys in ordinal order, so equal label sets give equal text (jsonb then normalises anyway).</summary>
    public static string FromLabels(IReadOnlyDictionary<string, string>? labels)
    {
        if (labels is null || labels.Count == 0)
        {
            return EmptyObject;
        }

        var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in labels)
        {
            sorted[key] = value;
        }

        return JsonSerializer.Serialize(sorted, ChatOpsJson.Options);
    }

    public static string FromChatRef(ChatRef value) =>
        JsonSerializer.Serialize(new ChatRefJson(value.Platform, value.Channel, value.Thread, value.Extra), ChatOpsJson.Options);

    public static ChatRef ToChatRef(string json, string column)
    {
        var stored = JsonSerializer.Deserialize<ChatRefJson>(json, ChatOpsJson.Options) ?? throw Corrupt(column);
        return new ChatRef(stored.Platform, stored.Channel, stored.Thread, stored.Extra);
    }

    private static InvalidDataException Corrupt(string column) => new($"the stored {column} is null JSON");

    // Our own shape, so a change to ChatRef's members never silently changes what is stored.
    private sealed record ChatRefJson(string Platform, string Channel, string? Thread, IReadOnlyDictionary<string, string>? Extra);
}
