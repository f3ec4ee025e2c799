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

        var cancellable = commands.Count == 0
            ? request.SingleServer ? [request.RequestId] : []
            : commands.Where(c => !c.State.IsTerminal()).Select(c => c.CommandId).Take(MaxCancelButtons).ToList();
        if (cancellable.Count > 0)
        {
            var buttons = new JsonArray();
            for (var i = 0; i < cancellable.Count; i++)
            {
                var label = cancellable.Count == 1 ? "Cancel" : SlackText.Truncate($"Cancel #{cancellable[i]}", 75);
                buttons.Add(Button(i == 0 ? SlackActions.Cancel : $"{SlackActions.Cancel}-{i}", label, cancellable[i], "danger",
                    Confirm("Cancel this command?", $"#{cancellable[i]} will be stopped on its server.", "Cancel it", "Keep running")));
            }

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

    /// <summary>An approval request with Approve / Deny buttons (used once approvals exist).</summary>
    public static SlackMessage Approval(string commandId, string commandText, string requesterName, string target)
    {
        var blocks = new JsonArray
        {
            new JsonObject { ["type"] = "header", ["text"] = Plain("Approval needed") },
            Section($"*{SlackText.Escape(requesterName)}* wants to run {SlackText.Code(SlackText.Truncate(commandText, 1000))} on {SlackText.Code(target)}"),
            new JsonObject
            {
                ["type"] = "actions",
                ["block_id"] = $"approval:{commandId}",
                ["elements"] = new JsonArray
                {
                    Button(SlackActions.Approve, "Approve", commandId, "primary", null),
                    Button(SlackActions.Deny, "Deny", commandId, "danger", null),
                },
            },
            Context($"ChatOps · #{commandId} · a second person must approve"),
        };
        return new SlackMessage($"Approval needed: {SlackText.Escape(commandText)} on {SlackText.Escape(target)}", blocks.ToJsonString(Compact));
    }

    /// <summary>An alert with Ack / Resolve / Run runbook / Silence buttons (used by the alerting module).</summary>
    public static SlackMessage Alert(string alertId, string title, string severity, string serverId, string summary, bool hasRunbook)
    {
        var buttons = new JsonArray
        {
            Button(SlackActions.AlertAck, "Ack", alertId, null, null),
            Button(SlackActions.AlertResolve, "Resolve", alertId, "primary", null),
        };
        if (hasRunbook) buttons.Add(Button(SlackActions.AlertRunbook, "Run runbook", alertId, null, null));
        buttons.Add(Button(SlackActions.AlertSilence, "Silence 1h", alertId, null, null));
        var blocks = new JsonArray
        {
            new JsonObject { ["type"] = "header", ["text"] = Plain(SlackText.Truncate($"{severity.ToUpperInvariant()}: {title}", 150)) },
            Section(SlackText.Truncate($"{SlackText.Code(serverId)} · {SlackText.Escape(summary)}", SectionLimit)),
            new JsonObject { ["type"] = "actions", ["block_id"] = $"alert:{alertId}", ["elements"] = buttons },
            Context($"ChatOps alert {alertId}"),
        };
        return new SlackMessage($"{severity}: {SlackText.Escape(title)} on {SlackText.Escape(serverId)}", blocks.ToJsonString(Compact));
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
