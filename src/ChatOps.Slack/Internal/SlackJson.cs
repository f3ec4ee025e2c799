using System.Text.Json;

namespace ChatOps.Slack.Internal;

/// <summary>The limits for every JSON document read from Slack (or from anyone claiming to be Slack).</summary>
internal static class SlackJson
{
    public static readonly JsonDocumentOptions Document = new()
    {
        MaxDepth = 64,
        AllowDuplicateProperties = false,
    };

    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8) => JsonDocument.Parse(utf8, Document);

    public static JsonDocument Parse(string text) => JsonDocument.Parse(text, Document);

    public static string? String(this JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public static JsonElement? Object(this JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Object
            ? value
            : null;

    public static bool Bool(this JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.True;
}
