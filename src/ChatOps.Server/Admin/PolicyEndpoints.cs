using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Identity;
using ChatOps.Server.Auth;
using ChatOps.Server.Chat;

namespace ChatOps.Server.Admin;

/// <summary>
/// <c>/api/catalog</c> and <c>/api/rules</c>: the commands (with their effective risk and rules) and the
/// permission rules "role may run command on target". Everyone may read them; admins edit them.
/// </summary>
public static class PolicyEndpoints
{
    public sealed record RuleBody(string? Role, string? Command, string? Target);

    public sealed record RiskBody(string? Risk);

    public static IEndpointRouteBuilder MapPolicyApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/catalog", CatalogAsync);
        app.MapPut("/api/catalog/{name}/risk", SetRiskAsync);
        app.MapPost("/api/catalog/{name}/rules/reset", ResetAsync);
        app.MapGet("/api/rules", RulesAsync);
        app.MapPost("/api/rules", AddRuleAsync);
        app.MapDelete("/api/rules/{id}", DeleteRuleAsync);
        return app;
    }

    private static async Task<IResult> CatalogAsync(HttpContext context, AccessPolicy policy)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "view the catalog", Roles.Viewer, Roles.Operator, Roles.Approver) is { } forbidden) return forbidden;
        var snapshot = await policy.SnapshotAsync(context.RequestAborted);
        return Results.Json(policy.Catalog.All.Select(d => new
        {
            name = d.Name,
            summary = d.Summary,
            kind = d.Kind == CommandKind.Agent ? "agent" : "built_in",
            usage = CommandUsage.For(d),
            risk = snapshot.RiskOf(d) == Risk.High ? "high" : "low",
            riskOverridden = snapshot.IsRiskOverridden(d.Name),
            customRules = snapshot.HasCustomRules(d.Name),
            timeoutSeconds = (int)d.Timeout.TotalSeconds,
            examples = d.Examples,
            mayUse = snapshot.MayUse(caller.User, d),
            rules = snapshot.RulesFor(d.Name).Select(RuleView),
        }));
    }

    private static async Task<IResult> RulesAsync(HttpContext context, AccessPolicy policy)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "view the rules", Roles.Viewer, Roles.Operator, Roles.Approver) is { } forbidden) return forbidden;
        var snapshot = await policy.SnapshotAsync(context.RequestAborted);
        return Results.Json(snapshot.AllRules.Select(RuleView));
    }

    private static async Task<IResult> AddRuleAsync(HttpContext context, PolicyAdmin admin)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "change rules") is { } forbidden) return forbidden;
        var (body, error) = await JsonBody.ReadAsync<RuleBody>(context.Request);
        if (error is not null) return error;
        var result = await admin.AddRuleAsync(caller.User.Id, body!.Role, body.Command, body.Target, context.RequestAborted);
        return result.Ok ? Results.Json(new { message = result.Message, rule = RuleView(result.Rule!) }, statusCode: StatusCodes.Status201Created) : JsonBody.BadRequest(result.Message);
    }

    private static async Task<IResult> DeleteRuleAsync(HttpContext context, string id, PolicyAdmin admin)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "change rules") is { } forbidden) return forbidden;
        var result = await admin.DeleteRuleAsync(caller.User.Id, id, context.RequestAborted);
        return result.Ok ? Api.Ok(result.Message) : Api.NotFound(result.Message);
    }

    private static async Task<IResult> ResetAsync(HttpContext context, string name, PolicyAdmin admin)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "change rules") is { } forbidden) return forbidden;
        var result = await admin.ResetRulesAsync(caller.User.Id, name, context.RequestAborted);
        return result.Ok ? Api.Ok(result.Message) : Api.NotFound(result.Message);
    }

    private static async Task<IResult> SetRiskAsync(HttpContext context, string name, PolicyAdmin admin)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "change command risks") is { } forbidden) return forbidden;
        var (body, error) = await JsonBody.ReadAsync<RiskBody>(context.Request);
        if (error is not null) return error;
        var result = await admin.SetRiskAsync(caller.User.Id, name, body!.Risk, context.RequestAborted);
        return result.Ok ? Api.Ok(result.Message) : JsonBody.BadRequest(result.Message);
    }

    private static object RuleView(EffectiveRule rule) => new { id = rule.Id, role = rule.Role, command = rule.Command, target = rule.Target, isDefault = rule.IsDefault };
}
