using System.Text.Json;
using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Notifications;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Chat.Web;
using ChatOps.Core.Events;
using ChatOps.Core.Identity;
using ChatOps.Core.Ports;
using ChatOps.Server.Admin;
using ChatOps.Server.Auth;

namespace ChatOps.Server.Alerts;

/// <summary>
/// <c>/api/alerts</c>: alerts with their threads, the rules in force, current silences (any role may
/// read). Rules are changed by admins (<see cref="AlertRuleEndpoints"/>), silences by whoever may use the
/// <c>silence</c> command (<see cref="SilenceEndpoints"/>); alerts themselves through chat commands.
/// </summary>
public static class AlertEndpoints
{
    public static IEndpointRouteBuilder MapAlertApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/alerts", ListAsync);
        app.MapGet("/api/alerts/rules", RulesAsync);
        app.MapGet("/api/alerts/silences", SilencesAsync);
        app.MapGet("/api/alerts/{id}", GetAsync);
        app.MapAlertRuleApi();
        app.MapSilenceApi();
        return app;
    }

    /// <param name="state"><c>open</c> (default: pending, firing, acknowledged) or <c>all</c> (newest first).</param>
    private static async Task<IResult> ListAsync(HttpContext context, UserDirectory users, IAlertStore alerts, string? state, int? limit)
    {
        if (await ApiKeyAuthentication.AuthenticateAsync(context, users) is null) return ApiKeyAuthentication.Unauthorized();
        var list = state == "all"
            ? await alerts.ListRecentAsync(Math.Clamp(limit ?? 50, 1, 500), context.RequestAborted)
            : await alerts.ListActiveAsync(cancellationToken: context.RequestAborted);
        return Results.Json(list.Select(View));
    }

    private static async Task<IResult> GetAsync(HttpContext context, string id, UserDirectory users, IAlertStore alerts, INotificationLedger ledger, IChatThreadStore threads)
    {
        if (await ApiKeyAuthentication.AuthenticateAsync(context, users) is null) return ApiKeyAuthentication.Unauthorized();
        var alert = await alerts.GetAsync(id, context.RequestAborted) ?? await alerts.FindActiveAsync(id, context.RequestAborted);
        if (alert is null) return Results.Json(new { error = "not_found", message = $"No alert {id}." }, statusCode: StatusCodes.Status404NotFound);

        var threadViews = new List<object>();
        foreach (var thread in await ledger.ListThreadsAsync(alert.Id, context.RequestAborted))
        {
            var web = thread.Thread.Platform == WebChatClient.PlatformName && thread.Thread.Thread is { } threadId;
            var messages = web ? await threads.GetMessagesAsync(thread.Thread.Thread!, 0, context.RequestAborted) : [];
            threadViews.Add(new
            {
                route = thread.Route,
                platform = thread.Thread.Platform,
                channel = thread.Thread.Channel,
                threadId = thread.Thread.Thread,
                status = web ? await threads.GetStatusAsync(thread.Thread.Thread!, context.RequestAborted) : null,
                messages = messages.Select(m => new { seq = m.Seq, author = m.Author, text = m.Text, at = m.At }),
            });
        }

        return Results.Json(new { alert = View(alert), card = AlertCards.For(alert).Text, threads = threadViews });
    }

    private static async Task<IResult> RulesAsync(HttpContext context, UserDirectory users, AlertRuleSet rules)
    {
        if (await ApiKeyAuthentication.AuthenticateAsync(context, users) is null) return ApiKeyAuthentication.Unauthorized();
        var fromFile = rules.FileRuleNames;
        return Results.Json(rules.Rules.Select(rule => new
        {
            source = fromFile.Contains(rule.Name) ? "file" : "store",
            rule = JsonSerializer.SerializeToElement(rule, ChatOpsJson.Options),
        }));
    }

    private static async Task<IResult> SilencesAsync(HttpContext context, UserDirectory users, SilenceService silences)
    {
        if (await ApiKeyAuthentication.AuthenticateAsync(context, users) is null) return ApiKeyAuthentication.Unauthorized();
        return Results.Json((await silences.ListAsync(context.RequestAborted)).Select(SilenceEndpoints.View));
    }

    private static object View(AlertRecord a) => new
    {
        id = a.Id,
        fingerprint = a.Fingerprint,
        rule = a.RuleName,
        serverId = a.ServerId,
        labels = a.Labels,
        condition = JsonNamingPolicy.SnakeCaseLower.ConvertName(a.Condition.ToString()),
        severity = a.Severity.ToString().ToLowerInvariant(),
        state = a.State.ToString().ToLowerInvariant(),
        value = a.Value,
        detail = a.Detail,
        startedAt = a.StartedAt,
        firedAt = a.FiredAt,
        acknowledgedAt = a.AcknowledgedAt,
        acknowledgedBy = a.AcknowledgedBy,
        resolvedAt = a.ResolvedAt,
        resolvedBy = a.ResolvedBy,
        escalations = a.Escalations,
        silencedBy = a.SilencedBy,
    };
}
