using System.Text.Json;

namespace ChatOps.Teams.Internal;

/// <summary>A button click: which action, on which command or alert.</summary>
internal sealed record CardAction(string Name, string? CommandId, string? AlertId);

/// <summary>The data our card buttons carry, and reading it back from a click.</summary>
internal static class CardActions
{
    public const string Cancel = "cancel";
    public const string Approve = "approve";
    public const string Deny = "deny";
    public const string Acknowledge = "ack";
    public const string Resolve = "resolve";
    public const string Runbook = "runbook";
    public const string Silence = "silence";

    public static readonly IReadOnlySet<string> NotYetAvailable = new HashSet<string>(StringComparer.Ordinal) { Approve, Deny, Acknowledge, Resolve, Runbook, Silence };

    /// <summary>The click of an <c>Action.Submit</c> button: the message's <c>value</c> is the button's data.</summary>
    public static CardAction? FromSubmit(JsonElement value) =>
        value.ValueKind == JsonValueKind.Object ? FromData(value, String(value, "action")) : null;

    /// <summary>
    /// The click of an <c>Action.Execute</c> button (an <c>adaptiveCard/action</c> invoke):
    /// <c>value.action</c> holds the verb and the data. Null when the value is not that shape.
    /// </summary>
    public static CardAction? FromInvoke(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty("action", out var action) || action.ValueKind != JsonValueKind.Object) return null;
        if (String(action, "type") is { } type && type != "Action.Execute") return null;
        var data = action.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
        var name = String(action, "verb") ?? (data.ValueKind == JsonValueKind.Object ? String(data, "action") : null);
        return data.ValueKind == JsonValueKind.Object ? FromData(data, name) : name is null ? null : new CardAction(name, null, null);
    }

    /// <summary>An id fit to go into a command line: letters, digits, '-' and '_', at most 64.</summary>
    public static bool IsPlainId(string? id) =>
        id is { Length: > 0 and <= 64 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static CardAction? FromData(JsonElement data, string? name) =>
        name is null ? null : new CardAction(name, String(data, "commandId"), String(data, "alertId"));

    private static string? String(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
