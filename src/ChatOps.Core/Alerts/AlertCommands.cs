using System.Globalization;
using System.Text;
using ChatOps.Core.Alerts.Notifications;
using ChatOps.Core.Chat;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;

namespace ChatOps.Core.Alerts;

/// <summary>
/// The alert built-ins: <c>alerts</c>, <c>ack</c>, <c>resolve</c>, <c>silence</c>. Roles are checked by
/// the intake from the catalog (operator and up for the last three), for typed commands and buttons alike.
/// </summary>
public sealed class AlertCommands(AlertLifecycle lifecycle, SilenceService silences, IAlertStore alerts, IServerStore servers, TimeProvider time)
{
    public static readonly IReadOnlyList<string> Names = ["alerts", "ack", "resolve", "silence"];

    public Task<string> ExecuteAsync(ParsedCommand command, IntakeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(request);
        return command.Definition.Name switch
        {
            "alerts" => ListAsync(command.Target, cancellationToken),
            "ack" => AnswerAsync(lifecycle.AcknowledgeAsync(command.Get("alert") ?? "", request.Requester, cancellationToken)),
            "resolve" => AnswerAsync(lifecycle.ResolveAsync(command.Get("alert") ?? "", request.Requester, cancellationToken)),
            "silence" => SilenceAsync(command, request, cancellationToken),
            var other => Task.FromResult($"`{other}` is not an alert command."),
        };
    }

    private async Task<string> ListAsync(string? target, CancellationToken cancellationToken)
    {
        var active = await alerts.ListActiveAsync(cancellationToken: cancellationToken);
        if (target is not null)
        {
            if (!TargetSelector.TryParse(target, out var selector, out var error)) return error;
            var known = (await servers.ListAsync(cancellationToken)).ToDictionary(s => s.Id, StringComparer.Ordinal);
            active = active.Where(a => selector.Matches(known.GetValueOrDefault(a.ServerId) ?? new Server(a.ServerId, null, [], default))).ToList();
        }

        var open = active.Where(a => a.IsOpen).OrderByDescending(a => a.Severity).ThenBy(a => a.FiredAt).ToList();
        var pending = active.Count(a => a.State == AlertState.Pending);
        var pendingText = pending == 0 ? "" : $" ({pending} pending, not firing yet)";
        if (open.Count == 0) return $"No open alerts{(target is null ? "" : $" on `{target}`")}.{pendingText}";

        var now = time.GetUtcNow();
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{open.Count} open alert(s){pendingText}:\n");
        foreach (var alert in open)
        {
            var since = alert.FiredAt ?? alert.StartedAt;
            text.Append(CultureInfo.InvariantCulture,
                $"• #{alert.Id} {alert.Severity.ToString().ToLowerInvariant()} · {AlertCards.Summary(alert)} · {StateText(alert)} since {since:HH:mm} UTC ({AlertLifecycle.FormatDuration(now - since)})\n");
        }

        return text.Append("Act with `ack <id>`, `resolve <id>` or `silence <server> <duration>`.").ToString();
    }

    private async Task<string> SilenceAsync(ParsedCommand command, IntakeRequest request, CancellationToken cancellationToken)
    {
        if (!DurationParser.TryParse(command.Get("duration"), out var duration, out var durationError)) return durationError;
        var startsAt = (DateTimeOffset?)null;
        if (command.Get("start_in") is { } startIn)
        {
            if (!DurationParser.TryParse(startIn, out var delay, out var delayError)) return delayError;
            startsAt = time.GetUtcNow() + delay;
        }

        var result = await silences.CreateAsync(
            new SilenceRequest(command.Target ?? "", duration, command.Get("comment"), request.Requester, command.Get("rule"), startsAt), cancellationToken);
        return result.Message;
    }

    private static async Task<string> AnswerAsync(Task<AlertActionResult> action) => (await action).Message;

    private static string StateText(AlertRecord alert) => alert.State switch
    {
        AlertState.Acknowledged => $"acknowledged by {alert.AcknowledgedBy}",
        _ when alert.SilencedBy is not null => "firing (silenced)",
        _ => "firing",
    };
}
