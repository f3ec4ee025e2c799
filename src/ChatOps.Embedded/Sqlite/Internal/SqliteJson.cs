using System.Text.Json;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;

namespace ChatOps.Embedded.Sqlite.Internal;

/// <summary>The JSON columns (tags, roles, args, reply_to), written and read with the project's one set of options.</summary>
internal static class SqliteJson
{
    public static string FromList(IReadOnlyList<string> values) => JsonSerializer.Serialize(values, ChatOpsJson.Options);

    public static IReadOnlyList<string> ToList(string json, string column) =>
        JsonSerializer.Deserialize<List<string>>(json, ChatOpsJson.Options) ?? throw Corrupt(column);

    public static string FromMap(IReadOnlyDictionary<string, string> values) => JsonSerializer.Serialize(values, ChatOpsJson.Options);

    public static IReadOnlyDictionary<string, string> ToMap(string json, string column) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(json, ChatOpsJson.Options) ?? throw Corrupt(column);

    public static string FromChatRef(ChatRef value) =>
        JsonSerializer.Serialize(new ChatRefJson(value.Platform, value.Channel, value.Thread, value.Extra), ChatOpsJson.Options);

    public static ChatRef ToChatRef(string json, string column)
    {
        var stored = JsonSerializer.Deserialize<ChatRefJson>(json, ChatOpsJson.Options) ?? throw Corrupt(column);
        return new ChatRef(stored.Platform, stored.Channel, stored.Thread, stored.Extra);
    }

    private static InvalidDataException Corrupt(string column) => new($"the stored {column} is null JSON");

    // Our own shape, so a change to ChatRef's members never silently changes what is on disk.
    private sealed record ChatRefJson(string Platform, string Channel, string? Thread, IReadOnlyDictionary<string, string>? Extra);
}
