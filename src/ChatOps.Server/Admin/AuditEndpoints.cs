using System.Globalization;
using System.Text;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Server.Auth;
using ChatOps.Server.Chat;

namespace ChatOps.Server.Admin;

/// <summary><c>/api/audit</c>: the append-only audit log, filtered; <c>/api/audit/export</c>: the same as CSV.</summary>
public static class AuditEndpoints
{
    private const int MaxScan = 10_000;

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/audit", ListAsync);
        app.MapGet("/api/audit/export", ExportAsync);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpContext context, IAuditStore audit)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "read the audit log", Roles.Approver) is { } forbidden) return forbidden;
        var (events, error) = await QueryAsync(context.Request.Query, audit, 200, 1000, context.RequestAborted);
        return error ?? Results.Json(events!.Select(e => new { id = e.Id, at = e.At, actor = e.Actor, action = e.Action, target = e.Target, outcome = e.Outcome, detail = e.Detail }));
    }

    private static async Task<IResult> ExportAsync(HttpContext context, IAuditStore audit, TimeProvider time)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "export the audit log", Roles.Approver) is { } forbidden) return forbidden;
        var (events, error) = await QueryAsync(context.Request.Query, audit, MaxScan, MaxScan, context.RequestAborted);
        if (error is not null) return error;

        var csv = new StringBuilder("id,at,actor,action,target,outcome,detail\r\n");
        foreach (var e in events!)
        {
            csv.AppendJoin(',', new[] { e.Id, e.At.ToString("O", CultureInfo.InvariantCulture), e.Actor, e.Action, e.Target, e.Outcome, e.Detail }.Select(Cell));
            csv.Append("\r\n");
        }

        var name = $"chatops-audit-{time.GetUtcNow():yyyyMMdd-HHmmss}.csv";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}\"";
        return Results.Text(csv.ToString(), "text/csv; charset=utf-8");
    }

    /// <summary>
    /// Filters: <c>since</c> (ISO time), <c>actor</c>, <c>action</c>, <c>target</c> (exact, in the store),
    /// <c>outcome</c> and <c>q</c> (text anywhere; applied to the newest <see cref="MaxScan"/>), <c>limit</c>.
    /// </summary>
    private static async Task<(IReadOnlyList<AuditEvent>? Events, IResult? Error)> QueryAsync(IQueryCollection query, IAuditStore audit, int defaultLimit, int maxLimit, CancellationToken cancellationToken)
    {
        DateTimeOffset? since = null;
        if (query["since"].ToString() is { Length: > 0 } sinceText)
        {
            if (!DateTimeOffset.TryParse(sinceText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                return (null, JsonBody.BadRequest("'since' must be a time such as 2026-11-27T12:00:00Z."));
            since = parsed;
        }

        var limit = defaultLimit;
        if (query["limit"].ToString() is { Length: > 0 } limitText && (!int.TryParse(limitText, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > maxLimit))
            return (null, JsonBody.BadRequest($"'limit' must be between 1 and {maxLimit}."));

        var outcome = Value(query, "outcome");
        var text = Value(query, "q");
        var needsScan = outcome is not null || text is not null;
        var events = await audit.QueryAsync(new AuditQuery(since, Value(query, "actor"), Value(query, "action"), Value(query, "target"), needsScan ? MaxScan : limit), cancellationToken);
        if (!needsScan) return (events, null);
        return (events.Where(e => (outcome is null || e.Outcome == outcome) && (text is null || Contains(e, text))).Take(limit).ToList(), null);
    }

    private static string? Value(IQueryCollection query, string name) => query[name].ToString() is { Length: > 0 and <= 200 } value ? value : null;

    private static bool Contains(AuditEvent e, string text) =>
        new[] { e.Actor, e.Action, e.Target, e.Outcome, e.Detail }.Any(field => field?.Contains(text, StringComparison.OrdinalIgnoreCase) == true);

    // RFC 4180 quoting, and a leading apostrophe before = + - @ (and tab, CR) so spreadsheets never run a cell as a formula.
    internal static string Cell(string? value)
    {
        value ??= "";
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.IndexOfAny([',', '"', '\r', '\n', '\'']) >= 0 || value != value.Trim() ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
