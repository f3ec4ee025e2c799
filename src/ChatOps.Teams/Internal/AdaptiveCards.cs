using System.Globalization;
using System.Text.Json.Nodes;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;

namespace ChatOps.Teams.Internal;

/// <summary>
/// Adaptive Card JSON, written by hand (no card library). Buttons are <c>Action.Submit</c>: a click
/// comes back as a message activity whose <c>value</c> is the button's data, which
/// <see cref="CardActions"/> reads. Text from people and agents goes through
/// <see cref="TextHygiene.Escape"/> so a card never displays something other than what it holds.
/// </summary>
internal static class AdaptiveCards
{
    public const string ContentType = "application/vnd.microsoft.card.adaptive";
    private const string Schema = "http://adaptivecards.io/schemas/adaptive-card.json";
    private const string Version = "1.4";
    private const int MaxCancelButtons = 5;

    /// <summary>The command card: posted when a command is accepted, then updated in place as it runs and ends.</summary>
    public static JsonObject Command(RootCardState card)
    {
        var body = new JsonArray
        {
            Text($"ChatOps · #{card.RequestId}", bold: true, size: "Medium"),
            Text(TextHygiene.Escape(card.CommandText), monospace: true),
        };
        var facts = new JsonArray { Fact("Target", card.Target), Fact("Requested by", card.RequestedBy) };
        var views = card.Views;
        if (card.NotAccepted is { } refusal)
        {
            facts.Add(Fact("State", "⚠️ not accepted"));
            facts.Add(Fact("Why", refusal));
        }
        else if (views.Count == 0)
        {
            facts.Add(Fact("State", Describe(CommandState.Queued)));
        }
        else if (views.Count == 1 && views[0].CommandId == card.RequestId)
        {
            AddDetails(facts, views[0]);
        }

        body.Add(new JsonObject { ["type"] = "FactSet", ["facts"] = facts });
        if (card.NotAccepted is null && (views.Count > 1 || (views.Count == 1 && views[0].CommandId != card.RequestId)))
        {
            // A fan-out: one line per server.
            var perServer = new JsonArray();
            foreach (var view in views.OrderBy(v => v.ServerId, StringComparer.Ordinal))
                perServer.Add(Fact(view.ServerId, Summary(view)));
            body.Add(new JsonObject { ["type"] = "FactSet", ["separator"] = true, ["facts"] = perServer });
        }

        var actions = new JsonArray();
        if (card.NotAccepted is null)
        {
            foreach (var id in card.CancellableCommandIds().Take(MaxCancelButtons))
                actions.Add(Submit(card.CancellableCommandIds().Count() > 1 ? $"Cancel {id}" : "Cancel", new JsonObject { ["action"] = CardActions.Cancel, ["commandId"] = id }));
        }

        return Card(body, actions);
    }

    /// <summary>
    /// The approval card: what exactly waits, with Approve and Deny (and a comment, passed on as the
    /// reason of a denial). Once decided it is rewritten with <paramref name="decision"/> and no buttons.
    /// </summary>
    public static JsonObject Approval(TeamsApprovalCard approval, string? decision = null)
    {
        var facts = new JsonArray
        {
            Fact("Command", "#" + approval.CommandId),
            Fact("Target", approval.Target),
            Fact("Requested by", approval.RequestedBy),
        };
        if (decision is null) facts.Add(Fact("Why", approval.Reason ?? "high-risk commands need a second person"));
        else facts.Add(Fact("Decision", decision));
        var body = new JsonArray
        {
            Text(decision is null ? "Approval needed" : "Approval decided", bold: true, size: "Medium"),
            Text(TextHygiene.Escape(approval.CommandText), monospace: true),
            new JsonObject { ["type"] = "FactSet", ["facts"] = facts },
        };
        if (decision is not null) return Card(body, []);

        body.Add(new JsonObject { ["type"] = "Input.Text", ["id"] = "comment", ["placeholder"] = "Optional comment (the reason of a denial)", ["maxLength"] = CardActions.MaxCommentLength });
        return Card(body,
        [
            Submit("Approve", new JsonObject { ["action"] = CardActions.Approve, ["commandId"] = approval.CommandId }, style: "positive"),
            Submit("Deny", new JsonObject { ["action"] = CardActions.Deny, ["commandId"] = approval.CommandId }, style: "destructive"),
        ]);
    }

    /// <summary>
    /// The root of an alert thread, from the core's <see cref="AlertCard"/>: state, value, condition,
    /// since, who acknowledged, and one button per <see cref="AlertCard.Actions"/> (each carries its command).
    /// </summary>
    public static JsonObject Alert(AlertCard alert)
    {
        var facts = new JsonArray
        {
            Fact("Severity", alert.Severity.ToString().ToLowerInvariant()),
            Fact("State", alert.State.ToString().ToLowerInvariant()),
            Fact("Server", alert.ServerId),
            Fact("Rule", alert.RuleName),
        };
        if (alert.Value is { } value) facts.Add(Fact("Value", value));
        facts.Add(Fact("Condition", alert.Condition));
        facts.Add(Fact("Since", alert.Since.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)));
        if (alert.Duration is { } duration) facts.Add(Fact("Lasted", FormatDuration(duration)));
        if (alert.AcknowledgedBy is { } by) facts.Add(Fact("Acknowledged by", by));
        facts.Add(Fact("Alert", "#" + alert.AlertId));

        var actions = new JsonArray();
        foreach (var action in alert.Actions)
        {
            actions.Add(Submit(action.Label, new JsonObject
            {
                ["action"] = CardActions.Alert,
                ["kind"] = action.Kind.ToString(),
                ["alertId"] = alert.AlertId,
                ["command"] = action.Command,
            }, style: action.Kind == AlertActionKind.Resolve ? "positive" : null));
        }

        return Card(
            [
                Text(TextHygiene.Escape(alert.Title), bold: true, size: "Medium"),
                new JsonObject { ["type"] = "FactSet", ["facts"] = facts },
            ],
            actions);
    }

    /// <summary>A message activity carrying one card (and no text: text plus a card is split by Teams and loses its id).</summary>
    public static JsonObject Attachment(JsonObject card) => new()
    {
        ["type"] = "message",
        ["attachments"] = new JsonArray { new JsonObject { ["contentType"] = ContentType, ["content"] = card } },
    };

    public static string Describe(CommandState state) => state switch
    {
        CommandState.Queued => "🕒 queued",
        CommandState.AwaitingApproval => "✋ awaiting approval",
        CommandState.Dispatched => "▶️ dispatched",
        CommandState.Running => "▶️ running",
        CommandState.Succeeded => "✅ succeeded",
        CommandState.Failed => "❌ failed",
        CommandState.TimedOut => "⏱️ timed out",
        CommandState.Cancelled => "⛔ cancelled",
        CommandState.Rejected => "🚫 rejected",
        _ => CommandStateNames.Of(state),
    };

    private static void AddDetails(JsonArray facts, CommandView view)
    {
        facts.Add(Fact("State", Describe(view.State)));
        if (view.ExitCode is { } exit) facts.Add(Fact("Exit code", exit.ToString(CultureInfo.InvariantCulture)));
        if (view.Duration is { } duration) facts.Add(Fact("Duration", FormatDuration(duration)));
        if (view.Error is { Length: > 0 } error) facts.Add(Fact("Error", error));
    }

    private static string Summary(CommandView view)
    {
        var parts = new List<string> { Describe(view.State) };
        if (view.ExitCode is { } exit) parts.Add("exit " + exit.ToString(CultureInfo.InvariantCulture));
        if (view.Duration is { } duration) parts.Add(FormatDuration(duration));
        if (view.Error is { Length: > 0 } error) parts.Add(error);
        return string.Join(" · ", parts);
    }

    private static string FormatDuration(TimeSpan duration) =>
        duration.TotalSeconds < 60
            ? duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s"
            : $"{(int)duration.TotalMinutes} min {duration.Seconds} s";

    private static JsonObject Card(JsonArray body, JsonArray actions)
    {
        var card = new JsonObject
        {
            ["type"] = "AdaptiveCard",
            ["$schema"] = Schema,
            ["version"] = Version,
            ["body"] = body,
        };
        if (actions.Count > 0) card["actions"] = actions;
        return card;
    }

    private static JsonObject Text(string text, bool bold = false, string? size = null, bool monospace = false)
    {
        var block = new JsonObject { ["type"] = "TextBlock", ["text"] = text, ["wrap"] = true };
        if (bold) block["weight"] = "Bolder";
        if (size is not null) block["size"] = size;
        if (monospace) block["fontType"] = "Monospace";
        return block;
    }

    private static JsonObject Fact(string title, string value) => new() { ["title"] = TextHygiene.Escape(title), ["value"] = TextHygiene.Escape(value) };

    private static JsonObject Submit(string title, JsonObject data, string? style = null)
    {
        var action = new JsonObject { ["type"] = "Action.Submit", ["title"] = title, ["data"] = data };
        if (style is not null) action["style"] = style;
        return action;
    }
}
