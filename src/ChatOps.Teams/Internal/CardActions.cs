using System.Text.Json;

namespace ChatOps.Teams.Internal;

/// <summary>
/// A button click: which action, on which command, and for alert buttons the chat command the button
/// stands for (run as the clicking user, exactly as if typed). <see cref="Comment"/> is the card's
/// optional comment input (a reason for Deny).
/// </summary>
internal sealed record CardAction(string Name, string? CommandId, string? AlertId, string? Command = null, string? Comment = null);

/// <summary>The data our card buttons carry, and reading it back from a click.</summary>
internal static class CardActions
{
    public const string Cancel = "cancel";
    public const string Approve = "approve";
    public const string Deny = "deny";

    /// <summary>An alert button: its data carries the <see cref="ChatOps.Core.Ports.AlertAction.Command"/>.</summary>
    public const string Alert = "alert";

    /// <summary>The longest command an alert button may carry (runbooks are short commands).</summary>
    public const int MaxAlertCommandLength = 1000;

    /// <summary>The longest comment a Deny click passes on as the reason (the <c>deny</c> command's own cap).</summary>
    public const int MaxCommentLength = 500;

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

    /// <summary>The comment as one line (a reason is the rest of a command line), or null when there is none.</summary>
    public static string? OneLine(string? comment)
    {
        if (string.IsNullOrWhiteSpace(comment)) return null;
        var line = string.Join(' ', comment.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length == 0 ? null : line.Length > MaxCommentLength ? line[..MaxCommentLength] : line;
    }

    private static CardAction? FromData(JsonElement data, string? name) =>
        name is null ? null : new CardAction(name, String(data, "commandId"), String(data, "alertId"), String(data, "command"), String(data, "comment"));

    private static string? String(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
