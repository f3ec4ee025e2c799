using System.Globalization;
using System.Text;
using ChatOps.Core.Alerts;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Metrics;
using ChatOps.Core.Ports;

namespace ChatOps.Core.Chat;

/// <summary>
/// The commands ChatOps answers itself, from its state: help, whoami, servers, status, history,
/// cancel, and the alert commands (handled by <see cref="AlertCommands"/>). They read ports only, so
/// any process with the chat service can answer them.
/// </summary>
public sealed class BuiltInCommands(
    ICommandCatalog catalog,
    IServerStore servers,
    IAgentRegistry registry,
    IMetricsCache metrics,
    ICommandStore commands,
    CommandEventPublisher events,
    AlertCommands? alerts = null)
{
    public Task<string> ExecuteAsync(ParsedCommand command, IntakeRequest request, User user, CancellationToken cancellationToken) =>
        command.Definition.Name switch
        {
            "help" => Task.FromResult(Help(command.Get("command"))),
            "whoami" => Task.FromResult(WhoAmI(request, user)),
            "servers" => ServersAsync(cancellationToken),
            "status" => StatusAsync(command.Target, cancellationToken),
            "history" => HistoryAsync(command.Target, command.Get("limit"), cancellationToken),
            "cancel" => CancelAsync(command.Get("command_id"), request, user, cancellationToken),
            "alerts" or "ack" or "resolve" or "silence" => alerts is null
                ? Task.FromResult("Alerting is not set up in this process.")
                : alerts.ExecuteAsync(command, request, cancellationToken),
            var other => Task.FromResult($"`{other}` has no built-in handler."),
        };

    private string Help(string? name)
    {
        if (name is null) return HelpText.ForAll(catalog);
        var definition = catalog.Find(name.ToLowerInvariant());
        return definition is null ? $"Unknown command `{name}`. Type `help` for the list of commands." : HelpText.For(definition);
    }

    private static string WhoAmI(IntakeRequest request, User user) =>
        $"You are {user.DisplayName} (user `{user.Id}`), signed in as `{request.Requester.Identity}`. Roles: {string.Join(", ", user.Roles)}.";

    private async Task<string> ServersAsync(CancellationToken cancellationToken)
    {
        var all = await servers.ListAsync(cancellationToken);
        if (all.Count == 0) return "No servers are enrolled yet. Enrol one on the admin page.";
        var text = new StringBuilder($"{all.Count} server(s):\n");
        foreach (var server in all)
        {
            var agent = await registry.GetAsync(server.Id, cancellationToken);
            var state = agent is null ? "offline" : $"online since {agent.Since:yyyy-MM-dd HH:mm} UTC (agent {agent.Version ?? "?"})";
            var tags = server.Tags.Count == 0 ? "" : $" [{string.Join(", ", server.Tags)}]";
            text.Append(CultureInfo.InvariantCulture, $"• `{server.Id}` {state}{tags}\n");
        }

        return text.ToString().TrimEnd();
    }

    private async Task<string> StatusAsync(string? target, CancellationToken cancellationToken)
    {
        var all = await servers.ListAsync(cancellationToken);
        IReadOnlyList<Server> selected = all;
        if (target is not null)
        {
            if (!TargetSelector.TryParse(target, out var selector, out var error)) return error;
            selected = selector.Select(all);
            if (selected.Count == 0) return $"No server matches `{target}`.";
        }

        if (selected.Count == 0) return "No servers are enrolled yet.";
        var text = new StringBuilder();
        foreach (var server in selected)
        {
            var agent = await registry.GetAsync(server.Id, cancellationToken);
            var snapshot = await metrics.GetLatestAsync(server.Id, cancellationToken);
            var running = await commands.ListByStateAsync([CommandState.Dispatched, CommandState.Running], server.Id, 5, cancellationToken);
            text.Append(CultureInfo.InvariantCulture, $"• `{server.Id}` {(agent is null ? "offline" : "online")}");
            text.Append(snapshot is null ? " · no recent metrics" : " · " + MetricsSummary.Format(snapshot));
            if (running.Count > 0) text.Append(" · running " + string.Join(", ", running.Select(c => "#" + c.Id)));
            text.Append('\n');
        }

        return text.ToString().TrimEnd();
    }

    private async Task<string> HistoryAsync(string? target, string? limitText, CancellationToken cancellationToken)
    {
        var limit = int.TryParse(limitText, CultureInfo.InvariantCulture, out var parsed) ? Math.Clamp(parsed, 1, 100) : 10;
        var recent = await commands.ListRecentAsync(target, limit, cancellationToken);
        if (recent.Count == 0) return target is null ? "No commands yet." : $"No commands on `{target}` yet.";
        var text = new StringBuilder();
        foreach (var c in recent)
        {
            var exit = c.ExitCode is { } code ? $" (exit {code})" : "";
            text.Append(CultureInfo.InvariantCulture,
                $"• #{c.Id} {CommandStateNames.Of(c.State)}{exit} · `{TextHygiene.Escape(c.Text)}` on `{c.ServerId}` by {c.Requester.DisplayName} at {c.CreatedAt:yyyy-MM-dd HH:mm:ss} UTC\n");
        }

        return text.ToString().TrimEnd();
    }

    private async Task<string> CancelAsync(string? commandId, IntakeRequest request, User user, CancellationToken cancellationToken)
    {
        var id = commandId?.TrimStart('#');
        if (string.IsNullOrEmpty(id)) return "Which command? Usage: `cancel <command_id>`.";
        var command = await commands.GetAsync(id, cancellationToken);
        if (command is null) return $"There is no command #{id}.";
        if (command.State.IsTerminal()) return $"#{id} has already finished ({CommandStateNames.Of(command.State)}).";
        var mayCancel = command.Requester.UserId == user.Id || user.Roles.Contains(Roles.Admin) || user.Roles.Contains(Roles.Approver);
        if (!mayCancel) return $"Only {command.Requester.DisplayName}, an approver or an admin may cancel #{id}.";

        await events.PublishAsync(EventTypes.CommandCancelRequested, command.ServerId,
            new CommandCancelRequested(command.Id, command.ServerId, request.Requester, command.ReplyTo), cancellationToken);
        return $"Cancelling #{id} on `{command.ServerId}`…";
    }
}
