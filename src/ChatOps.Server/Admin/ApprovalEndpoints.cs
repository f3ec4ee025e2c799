using ChatOps.Core.Approvals;
using ChatOps.Core.Domain;
using ChatOps.Server.Auth;
using ChatOps.Server.Chat;

namespace ChatOps.Server.Admin;

/// <summary>
/// <c>/api/approvals</c>: high-risk requests and their decisions. Approving here is the same act as
/// <c>approve &lt;id&gt;</c> in chat: a different person allowed to approve, within the expiry, bound
/// to the exact command by its fingerprint.
/// </summary>
public static class ApprovalEndpoints
{
    public sealed record DenyBody(string? Reason);

    public static IEndpointRouteBuilder MapApprovalApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/approvals", ListAsync);
        app.MapGet("/api/approvals/{id}", GetAsync);
        app.MapPost("/api/approvals/{id}/approve", ApproveAsync);
        app.MapPost("/api/approvals/{id}/deny", DenyAsync);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpContext context, ApprovalService approvals, string? state, int? limit)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "view approvals", Roles.Viewer, Roles.Operator, Roles.Approver) is { } forbidden) return forbidden;
        ApprovalState? wanted = null;
        if (state is not null)
        {
            if (!ApprovalStateNames.TryParse(state, out var parsed)) return JsonBody.BadRequest("'state' must be pending, approved, denied, expired or cancelled.");
            wanted = parsed;
        }

        var list = await approvals.ListAsync(wanted, Math.Clamp(limit ?? 100, 1, 500), context.RequestAborted);
        return Results.Json(list.Select(a => View(a, caller)));
    }

    private static async Task<IResult> GetAsync(HttpContext context, string id, ApprovalService approvals)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "view approvals", Roles.Viewer, Roles.Operator, Roles.Approver) is { } forbidden) return forbidden;
        return await approvals.GetAsync(id, context.RequestAborted) is { } approval ? Results.Json(View(approval, caller)) : Api.NotFound($"No approval #{id}.");
    }

    private static async Task<IResult> ApproveAsync(HttpContext context, string id, ApprovalService approvals)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (!approvals.IsAvailable) return Api.NotFound("Approvals are not available on this installation.");
        return Answer(await approvals.ApproveAsync(caller.User, caller.Requester, id, context.RequestAborted), caller);
    }

    private static async Task<IResult> DenyAsync(HttpContext context, string id, ApprovalService approvals)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (!approvals.IsAvailable) return Api.NotFound("Approvals are not available on this installation.");
        string? reason = null;
        if (context.Request.ContentLength is > 0)
        {
            var (body, error) = await JsonBody.ReadAsync<DenyBody>(context.Request);
            if (error is not null) return error;
            reason = body!.Reason;
        }

        return Answer(await approvals.DenyAsync(caller.User, caller.Requester, id, reason, context.RequestAborted), caller);
    }

    private static IResult Answer(ApprovalResult result, ApiCaller caller) => result.Outcome switch
    {
        ApprovalOutcome.Approved or ApprovalOutcome.Denied => Results.Json(new { message = result.Message, approval = View(result.Approval!, caller) }),
        ApprovalOutcome.NotFound => Api.NotFound(result.Message),
        ApprovalOutcome.NotAllowed or ApprovalOutcome.SelfApproval => Results.Json(new { error = result.Outcome == ApprovalOutcome.SelfApproval ? "self_approval" : "forbidden", message = result.Message }, statusCode: StatusCodes.Status403Forbidden),
        _ => Api.Conflict(result.Message),
    };

    private static object View(ApprovalRequest a, ApiCaller caller) => new
    {
        id = a.Id,
        command = a.CommandName,
        target = a.Target,
        action = a.Action,
        servers = a.Servers,
        text = a.Text,
        fingerprint = a.Fingerprint,
        requestedBy = a.Requester.UserId,
        requestedByName = a.Requester.DisplayName,
        state = ApprovalStateNames.Of(a.State),
        requestedAt = a.RequestedAt,
        expiresAt = a.ExpiresAt,
        decidedBy = a.DecidedByUserId,
        decidedByName = a.DecidedByName,
        decidedAt = a.DecidedAt,
        reason = a.Reason,
        ownRequest = a.Requester.UserId == caller.User.Id,
    };
}
