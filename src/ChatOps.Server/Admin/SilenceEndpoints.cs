using ChatOps.Core.Alerts;
using ChatOps.Core.Audit;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Identity;
using ChatOps.Server.Auth;
using ChatOps.Server.Chat;

namespace ChatOps.Server.Admin;

/// <summary>
/// <c>/api/alerts/silences</c>: create and end silences, the same act as <c>silence web-3 2h "deploy"</c>
/// in chat. Who may is what the permission rules say of the <c>silence</c> command (operators and admins
/// by default), so chat, REST and the page agree.
/// </summary>
public static class SilenceEndpoints
{
    /// <param name="Duration">How long, e.g. <c>2h</c>, <c>30m</c>, <c>1d</c>.</param>
    /// <param name="StartIn">A maintenance window starting later, e.g. <c>3h</c> (or give <paramref name="StartsAt"/>).</param>
    public sealed record SilenceBody(string? Target, string? Duration, string? Comment, string? Rule, string? StartIn, DateTimeOffset? StartsAt);

    public const string Command = "silence";

    public static IEndpointRouteBuilder MapSilenceApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/alerts/silences", CreateAsync);
        app.MapDelete("/api/alerts/silences/{id}", ExpireAsync);
        return app;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, SilenceService silences, AccessPolicy policy, AuditLog audit, TimeProvider time)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (await RequireAsync(caller, policy, "silence alerts", context.RequestAborted) is { } forbidden) return forbidden;
        var (body, error) = await JsonBody.ReadAsync<SilenceBody>(context.Request);
        if (error is not null) return error;

        if (string.IsNullOrWhiteSpace(body!.Target)) return JsonBody.BadRequest("field 'target': is required (a server id, a glob such as web-* or a tag such as role:web).");
        if (!TargetSelector.TryParse(body.Target.Trim(), out _, out var targetError)) return JsonBody.BadRequest($"field 'target': {targetError}");
        if (!string.IsNullOrWhiteSpace(body.Rule) && body.Rule.Trim() != "*" && (!TargetSelector.TryParse(body.Rule.Trim(), out var ruleSelector, out _) || ruleSelector.Kind == TargetKind.Tag))
            return JsonBody.BadRequest("field 'rule': is not a rule name or glob (e.g. cpu-high, disk-*).");
        if (body.Comment is { Length: > SilenceService.MaxCommentLength }) return JsonBody.BadRequest($"field 'comment': is longer than {SilenceService.MaxCommentLength} characters.");
        if (body.Duration is null) return JsonBody.BadRequest("field 'duration': is required (e.g. 30m, 2h, 1d).");
        if (!DurationParser.TryParse(body.Duration, out var duration, out var durationError)) return JsonBody.BadRequest($"field 'duration': {durationError}");
        if (duration <= TimeSpan.Zero || duration > SilenceService.MaxDuration) return JsonBody.BadRequest($"field 'duration': a silence lasts more than 0 s and at most {SilenceService.MaxDuration.TotalDays:0} days.");
        if (body.StartIn is not null && body.StartsAt is not null) return JsonBody.BadRequest("field 'startIn': give either startIn or startsAt, not both.");
        DateTimeOffset? startsAt = body.StartsAt;
        if (body.StartIn is not null)
        {
            if (!DurationParser.TryParse(body.StartIn, out var startIn, out var startError)) return JsonBody.BadRequest($"field 'startIn': {startError}");
            startsAt = time.GetUtcNow() + startIn;
        }

        if (startsAt is { } start && start > time.GetUtcNow() + SilenceService.MaxDuration)
            return JsonBody.BadRequest($"field 'startsAt': a maintenance window starts within {SilenceService.MaxDuration.TotalDays:0} days.");

        var request = new SilenceRequest(body.Target.Trim(), duration, body.Comment, caller.Requester, string.IsNullOrWhiteSpace(body.Rule) ? null : body.Rule.Trim(), startsAt);
        var result = await silences.CreateAsync(request, context.RequestAborted);
        // Every field was checked above; what is left is the store refusing (an id clash).
        if (!result.Succeeded) return Api.Conflict(result.Message);

        var silence = result.Silence!;
        await audit.RecordAsync(caller.User.Id, "silence.created", silence.Id, "ok",
            $"{silence.Target} rule {silence.Rule ?? "*"} {silence.StartsAt:u} to {silence.EndsAt:u}{(silence.Comment is null ? "" : ": " + silence.Comment)}", context.RequestAborted);
        return Results.Json(new { message = result.Message, silence = View(silence) }, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ExpireAsync(HttpContext context, string id, SilenceService silences, AccessPolicy policy, AuditLog audit)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (await RequireAsync(caller, policy, "end silences", context.RequestAborted) is { } forbidden) return forbidden;
        if (!await silences.ExpireAsync(id, context.RequestAborted)) return Api.NotFound($"No current silence {id}.");
        await audit.RecordAsync(caller.User.Id, "silence.expired", id, "ok", null, context.RequestAborted);
        return Api.Ok($"Silence {id} ended; alerts it muted that still fire are announced at the next evaluation.");
    }

    /// <summary>The <c>silence</c> command's permission rules, as chat applies them; without the command in the catalog, operators.</summary>
    private static async Task<IResult?> RequireAsync(ApiCaller caller, AccessPolicy policy, string what, CancellationToken cancellationToken)
    {
        if (policy.Catalog.Find(Command) is not { } definition) return Api.Require(caller, what, Roles.Operator);
        var snapshot = await policy.SnapshotAsync(cancellationToken);
        if (snapshot.MayUse(caller.User, definition)) return null;
        return ApiKeyAuthentication.Forbidden($"You ({caller.User.DisplayName}) may not {what}: that needs the role {string.Join(" or ", snapshot.RolesFor(definition))}.");
    }

    public static object View(Silence s) => new
    {
        id = s.Id,
        target = s.Target,
        rule = s.Rule,
        startsAt = s.StartsAt,
        endsAt = s.EndsAt,
        createdBy = s.CreatedBy,
        comment = s.Comment,
    };
}
