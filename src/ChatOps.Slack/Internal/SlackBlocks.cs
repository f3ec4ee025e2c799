using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;

namespace ChatOps.Slack.Internal;

/// <summary>
/// Block Kit rendering. Every piece of user or agent text is escaped (<see cref="SlackText"/>) and cut
/// to Slack's limits (section text 3,000, button text 75, header 150) so a message is never refused
/// as <c>invalid_blocks</c> or <c>msg_too_long</c>.
/// </summary>
internal static class SlackBlocks
{
    public const int SectionLimit = 3000;

    // Slack reads JSON, not HTML: no need to turn every '<' and '`' into \u escapes.
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private const int MaxCancelButtons = 5;
    private const int MaxAlertButtons = 5;
    private const int MaxButtonValue = 2000;

    /// <summary>The root message of a command thread: who asked for what, and where each command stands.</summary>
    public static SlackMessage Root(RootRequest request, IReadOnlyList<CommandView> commands, int version)
    {
        var who = request.SlackUserId is { } user ? $"<@{user}>" : "*" + SlackText.Escape(request.RequesterName) + "*";
        var asked = $"{who} asked for {SlackText.Code(SlackText.Truncate(request.CommandText, 1000))}";
        var status = commands.Count == 0
            ? $"{Emoji(CommandState.Queued)} *queued* on {SlackText.Code(request.Target)}"
            : string.Join("\n", commands.Select(StatusLine));

        var blocks = new JsonArray
        {
            Section(asked),
            Section(SlackText.Truncate(status, SectionLimit)),
        };

        var buttons = new JsonArray();
        // Waiting for a second person: the decision is one click away, for whoever may make it.
        if (commands.Any(c => c.State == CommandState.AwaitingApproval))
        {
            buttons.Add(Button(SlackActions.Approve, "Approve", request.RequestId, "primary", null));
            buttons.Add(Button(SlackActions.Deny, "Deny", request.RequestId, "danger", null));
        }

        var cancellable = commands.Count == 0
            ? request.SingleServer ? [request.RequestId] : []
            : commands.Where(c => !c.State.IsTerminal()).Select(c => c.CommandId).Take(MaxCancelButtons).ToList();
        for (var i = 0; i < cancellable.Count; i++)
        {
            var label = cancellable.Count == 1 ? "Cancel" : SlackText.Truncate($"Cancel #{cancellable[i]}", 75);
            buttons.Add(Button(i == 0 ? SlackActions.Cancel : $"{SlackActions.Cancel}-{i}", label, cancellable[i], "danger",
                Confirm("Cancel this command?", $"#{cancellable[i]} will be stopped on its server.", "Cancel it", "Keep running")));
        }

        if (buttons.Count > 0)
        {
            // A new block_id per version: Slack advises it when a message is updated.
            blocks.Add(new JsonObject { ["type"] = "actions", ["block_id"] = $"root:{request.RequestId}:{version}", ["elements"] = buttons });
        }

        blocks.Add(Context($"ChatOps · request #{request.RequestId}"));
        var state = commands.Count == 0 ? "queued" : string.Join(", ", commands.Select(c => CommandStateNames.Of(c.State)).Distinct());
        var fallback = $"{SlackText.Escape(request.RequesterName)} asked for {SlackText.Code(SlackText.Truncate(request.CommandText, 200))}: {state}";
        return new SlackMessage(fallback, blocks.ToJsonString(Compact));
    }

    /// <summary>A batch of output chunks as one code block.</summary>
    public static SlackMessage Output(string text) => new(SlackText.CodeBlock(text));

    /// <summary>A plain reply (status lines, answers), escaped; backticks and emphasis still work.</summary>
    public static SlackMessage Reply(string text) => new(SlackText.Escape(text));

    /// <summary>
    /// The thread's "needs approval" reply with Approve / Deny buttons under it. The buttons carry the
    /// approval id only; clicking runs <c>approve &lt;id&gt;</c> / <c>deny &lt;id&gt;</c> as the clicker.
    /// </summary>
    public static SlackMessage ApprovalPrompt(string text, string approvalId)
    {
        var escaped = SlackText.Escape(text);
        var blocks = new JsonArray
        {
            Section(SlackText.Truncate(escaped, SectionLimit)),
            new JsonObject
            {
                ["type"] = "actions",
                ["block_id"] = $"approval:{approvalId}",
                ["elements"] = new JsonArray
                {
                    Button(SlackActions.Approve, "Approve", approvalId, "primary", null),
                    Button(SlackActions.Deny, "Deny", approvalId, "danger",
                        Confirm("Deny this request?", $"#{approvalId} will not run.", "Deny it", "Back")),
                },
            },
        };
        return new SlackMessage(escaped, blocks.ToJsonString(Compact));
    }

    /// <summary>
    /// The root of an alert thread: severity, state, value against its condition, since when, who
    /// acknowledged, and one button per <see cref="AlertCard.Actions"/> whose value is the command it runs.
    /// </summary>
    public static SlackMessage AlertRoot(AlertCard card, int version)
    {
        var fields = new JsonArray
        {
            Field("Severity", card.Severity.ToString().ToLowerInvariant()),
            Field("State", card.State.ToString().ToLowerInvariant()),
            Field("Value", card.Value ?? "no data"),
            Field("Condition", card.Condition),
            Field("Since", card.Since.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC"),
        };
        if (card.AcknowledgedBy is { } by) fields.Add(Field("Acknowledged by", by));
        if (card.Duration is { } lasted) fields.Add(Field("Lasted", FormatDuration(lasted)));

        var blocks = new JsonArray
        {
            new JsonObject { ["type"] = "header", ["text"] = Plain(SlackText.Truncate(card.Title, 150)) },
            new JsonObject { ["type"] = "section", ["fields"] = fields },
        };

        // The card's text has the metric, summary and labels in words; its first line is the header.
        var detail = card.Text.Split('\n', 2) is [_, var rest] ? rest : "";
        var actionsLine = detail.IndexOf("\nActions: ", StringComparison.Ordinal);
        if (actionsLine >= 0) detail = detail[..actionsLine];
        if (detail.Length > 0) blocks.Add(Section(SlackText.Truncate(SlackText.Escape(detail), SectionLimit)));

        if (card.Actions.Count > 0)
        {
            var buttons = new JsonArray();
            foreach (var action in card.Actions.Take(MaxAlertButtons))
            {
                var (actionId, style, confirm) = action.Kind switch
                {
                    AlertActionKind.Acknowledge => (SlackActions.AlertAck, "primary", (JsonObject?)null),
                    AlertActionKind.Resolve => (SlackActions.AlertResolve, (string?)null, null),
                    AlertActionKind.RunRunbook => (SlackActions.AlertRunbook, null,
                        Confirm("Run the runbook?", SlackText.Truncate(action.Command, 250), "Run it", "Back")),
                    _ => (SlackActions.AlertSilence, null, null),
                };
                // The value is the command itself (at most 2,000 characters); a longer one cannot be a button.
                if (action.Command.Length > MaxButtonValue) continue;
                buttons.Add(Button(actionId, action.Label, action.Command, style, confirm));
            }

            if (buttons.Count > 0)
                blocks.Add(new JsonObject { ["type"] = "actions", ["block_id"] = $"alert:{card.AlertId}:{version}", ["elements"] = buttons });
        }

        blocks.Add(Context($"ChatOps alert #{SlackText.Escape(card.AlertId)} · rule {SlackText.Escape(card.RuleName)} · fingerprint {SlackText.Escape(card.Fingerprint)}"));
        return new SlackMessage(SlackText.Escape(card.Title), blocks.ToJsonString(Compact));
    }

    /// <summary>A reply in an alert thread, led by a mention (already rendered as Slack markup) when there is one.</summary>
    public static SlackMessage AlertReply(string text, string? mention, string? rawMention)
    {
        var escaped = SlackText.Escape(text);
        if (mention is null) return new SlackMessage(escaped);
        var raw = rawMention is null ? null : SlackText.Escape(rawMention);
        // The escalation text names the on-call group; make that name the real mention rather than adding a second one.
        return raw is { Length: > 0 } && escaped.Contains(raw, StringComparison.Ordinal)
            ? new SlackMessage(escaped.Replace(raw, mention, StringComparison.Ordinal))
            : new SlackMessage(mention + " " + escaped);
    }

    private static string StatusLine(CommandView view)
    {
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"{Emoji(view.State)} *{Label(view.State)}* on {SlackText.Code(view.ServerId)}");
        if (view.ExitCode is { } exit) line.Append(CultureInfo.InvariantCulture, $" · exit code {exit}");
        if (view.Duration is { } duration) line.Append(" · ").Append(FormatDuration(duration));
        line.Append(CultureInfo.InvariantCulture, $" · #{view.CommandId}");
        if (view.Error is { Length: > 0 } error) line.Append("\n> ").Append(SlackText.Escape(SlackText.Truncate(error.ReplaceLineEndings(" "), 500)));
        return line.ToString();
    }

    internal static string FormatDuration(TimeSpan duration) =>
        duration.TotalSeconds < 60
            ? duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s"
            : $"{(int)duration.TotalMinutes} min {duration.Seconds} s";

    private static string Emoji(CommandState state) => state switch
    {
        CommandState.Queued => ":hourglass_flowing_sand:",
        CommandState.AwaitingApproval => ":raised_hand:",
        CommandState.Dispatched or CommandState.Running => ":arrow_forward:",
        CommandState.Succeeded => ":white_check_mark:",
        CommandState.TimedOut => ":stopwatch:",
        CommandState.Cancelled => ":no_entry:",
        CommandState.Rejected => ":no_entry_sign:",
        _ => ":x:",
    };

    private static string Label(CommandState state) => state switch
    {
        CommandState.Dispatched => "running",
        _ => CommandStateNames.Of(state).Replace('_', ' '),
    };

    private static JsonObject Section(string mrkdwn) =>
        new() { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = SlackText.Truncate(mrkdwn, SectionLimit) } };

    private static JsonObject Context(string mrkdwn) =>
        new() { ["type"] = "context", ["elements"] = new JsonArray { new JsonObject { ["type"] = "mrkdwn", ["text"] = mrkdwn } } };

    private static JsonObject Field(string name, string value) =>
        new() { ["type"] = "mrkdwn", ["text"] = SlackText.Truncate($"*{name}:*\n{SlackText.Escape(value)}", 2000) };

    private static JsonObject Plain(string text) => new() { ["type"] = "plain_text", ["text"] = text };

    private static JsonObject Button(string actionId, string text, string value, string? style, JsonObject? confirm)
    {
        var button = new JsonObject
        {
            ["type"] = "button",
            ["action_id"] = actionId,
            ["text"] = Plain(SlackText.Truncate(text, 75)),
            ["value"] = value,
        };
        if (style is not null) button["style"] = style;
        if (confirm is not null) button["confirm"] = confirm;
        return button;
    }

    private static JsonObject Confirm(string title, string text, string confirm, string deny) => new()
    {
        ["title"] = Plain(title),
        ["text"] = Plain(text),
        ["confirm"] = Plain(confirm),
        ["deny"] = Plain(deny),
    };
}
