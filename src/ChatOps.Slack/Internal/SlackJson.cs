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

    /// <summary>
    /// Parses JSON bytes, refusing invalid UTF-8 up front: JsonDocument only notices it when a string is
    /// read, which would turn a bad request into an exception deep in a handler.
    /// </summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8) =>
        System.Text.Unicode.Utf8.IsValid(utf8.Span)
            ? JsonDocument.Parse(utf8, Document)
            : throw new JsonException("the body is not valid UTF-8");

    public static JsonDocument Parse(string text) => JsonDocument.Parse(text, Document);

    /// <summary>
    /// The property's text, or null when it is absent, not a string, or not valid Unicode (an escaped lone
    /// surrogate such as <c>"\ud800"</c> parses but cannot be read): callers then refuse it as missing.
    /// </summary>
    public static string? String(this JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? TryGetText(value)
            : null;

    private static string? TryGetText(JsonElement value)
    {
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    public static JsonElement? Object(this JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Object
            ? value
            : null;

    public static bool Bool(this JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.True;
}
