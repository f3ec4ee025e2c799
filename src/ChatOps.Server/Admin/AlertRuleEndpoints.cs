using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Audit;
using ChatOps.Core.Events;
using ChatOps.Server.Auth;
using ChatOps.Server.Chat;

namespace ChatOps.Server.Admin;

/// <summary>
/// <c>/api/alerts/rules</c>: alert rules as data, for admins. The body is one rule of the rules file
/// (the same fields, snake_case or camelCase; numbers may be JSON numbers or text). Rules from the
/// rules file are read-only here (409): the file is the code-reviewed source and wins anyway.
/// (<c>/api/rules</c> is taken by the permission rules, hence the <c>/api/alerts/</c> prefix.)
/// </summary>
public static class AlertRuleEndpoints
{
    private static readonly HashSet<string> Fields =
        ["name", "metric", "labels", "target", "comparator", "threshold", "for", "clear", "clear_for", "severity", "no_data", "anomaly", "routes", "runbook", "escalation", "summary"];

    private static readonly JsonSerializerOptions DocumentOptions = new(ChatOpsJson.Options)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static IEndpointRouteBuilder MapAlertRuleApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/alerts/rules", CreateAsync);
        app.MapPut("/api/alerts/rules/{name}", ReplaceAsync);
        app.MapDelete("/api/alerts/rules/{name}", DeleteAsync);
        return app;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, AlertRuleService service, AlertRuleSet rules, AuditLog audit)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "change alert rules") is { } forbidden) return forbidden;
        var (document, error) = await ReadAsync(context.Request, routeName: null);
        if (error is not null) return error;
        if (FromFile(rules, document!.Name) is { } fromFile) return fromFile;
        if (document.Name is { } name && await service.GetStoredAsync(name, context.RequestAborted) is not null)
            return Api.Conflict($"Alert rule '{name}' exists already; replace it with PUT /api/alerts/rules/{name}.");
        return await SaveAsync(context, service, audit, caller, document, "alert_rule.created", StatusCodes.Status201Created);
    }

    private static async Task<IResult> ReplaceAsync(HttpContext context, string name, AlertRuleService service, AlertRuleSet rules, AuditLog audit)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "change alert rules") is { } forbidden) return forbidden;
        if (FromFile(rules, name) is { } fromFile) return fromFile;
        var (document, error) = await ReadAsync(context.Request, routeName: name);
        if (error is not null) return error;
        if (await service.GetStoredAsync(name, context.RequestAborted) is null)
            return Api.NotFound($"No stored alert rule '{name}'; create it with POST /api/alerts/rules.");
        return await SaveAsync(context, service, audit, caller, document!, "alert_rule.replaced", StatusCodes.Status200OK);
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, string name, AlertRuleService service, AlertRuleSet rules, AuditLog audit)
    {
        if (Api.Caller(context) is not { } caller) return ApiKeyAuthentication.Unauthorized();
        if (Api.Require(caller, "change alert rules") is { } forbidden) return forbidden;
        if (FromFile(rules, name) is { } fromFile) return fromFile;
        if (!await service.DeleteAsync(name, context.RequestAborted)) return Api.NotFound($"No stored alert rule '{name}'.");
        await audit.RecordAsync(caller.User.Id, "alert_rule.deleted", name, "ok", null, context.RequestAborted);
        return Api.Ok($"Alert rule '{name}' deleted.");
    }

    private static async Task<IResult> SaveAsync(HttpContext context, AlertRuleService service, AuditLog audit, ApiCaller caller, AlertRuleDocument document, string action, int status)
    {
        var change = await service.UpsertAsync(document, context.RequestAborted);
        if (!change.Succeeded) return Invalid(change.Errors);
        var rule = change.Rule!;
        await audit.RecordAsync(caller.User.Id, action, rule.Name, "ok", Describe(rule), context.RequestAborted);
        var verb = action == "alert_rule.created" ? "created" : "replaced";
        return Results.Json(new
        {
            message = $"Alert rule '{rule.Name}' {verb}: {Describe(rule)}.",
            source = "store",
            rule = JsonSerializer.SerializeToElement(rule, ChatOpsJson.Options),
        }, statusCode: status);
    }

    private static IResult? FromFile(AlertRuleSet rules, string? name) =>
        name is not null && rules.FileRuleNames.Contains(name)
            ? Api.Conflict($"Alert rule '{name}' comes from the rules file (ChatOps:Alerts:RulesFile), which is read-only here; change it in the file.")
            : null;

    private static IResult Invalid(IReadOnlyList<string> errors) =>
        Results.Json(new { error = "bad_request", message = "The alert rule is not valid: " + string.Join("; ", errors) + ".", errors }, statusCode: StatusCodes.Status400BadRequest);

    /// <summary>
    /// Reads the body as a rule document: keys to snake_case (so camelCase clients and the YAML file's
    /// spelling both work; label names are data and keep theirs), JSON numbers and booleans to their
    /// text (the document reader parses every scalar itself and names the field when it cannot).
    /// </summary>
    private static async Task<(AlertRuleDocument? Document, IResult? Error)> ReadAsync(HttpRequest request, string? routeName)
    {
        var (body, error) = await JsonBody.ReadAsync<JsonObject>(request);
        if (error is not null) return (null, error);
        try
        {
            var normalised = Normalise(body!, keepKeys: false);
            var unknown = normalised.Select(p => p.Key).Where(k => !Fields.Contains(k)).ToList();
            if (unknown.Count > 0)
                return (null, Invalid(unknown.Select(k => $"field '{k}': is not a field of an alert rule (fields: {string.Join(", ", Fields)})").ToList()));

            if (routeName is not null)
            {
                if (normalised["name"] is JsonValue named && named.TryGetValue<string>(out var bodyName) && bodyName != routeName)
                    return (null, Invalid([$"field 'name': '{bodyName}' differs from the rule in the URL ('{routeName}'); rules are not renamed, create a new one"]));
                normalised["name"] = routeName;
            }

            return (normalised.Deserialize<AlertRuleDocument>(DocumentOptions), null);
        }
        catch (DuplicateFieldException ex)
        {
            return (null, Invalid([$"field '{ex.Field}': is given twice (as camelCase and snake_case)"]));
        }
        catch (JsonException ex)
        {
            var field = (ex.Path ?? "$").TrimStart('$').TrimStart('.');
            return (null, Invalid([$"field '{(field.Length == 0 ? "(body)" : field)}': not the expected shape (text, a list of routes, or an object such as anomaly/escalation), or not a field"]));
        }
    }

    private static JsonObject Normalise(JsonObject source, bool keepKeys)
    {
        var result = new JsonObject();
        foreach (var (key, value) in source)
        {
            var name = keepKeys ? key : JsonNamingPolicy.SnakeCaseLower.ConvertName(key);
            // A duplicate after conversion (clearFor and clear_for): the document would be ambiguous.
            if (result.ContainsKey(name)) throw new DuplicateFieldException(name);
            result[name] = Normalise(value, keepKeys: name == "labels");
        }

        return result;
    }

    private static JsonNode? Normalise(JsonNode? node, bool keepKeys) => node switch
    {
        JsonObject obj => Normalise(obj, keepKeys),
        JsonArray array => new JsonArray(array.Select(item => Normalise(item, keepKeys: false)).ToArray()),
        JsonValue value when value.GetValueKind() is JsonValueKind.Number => JsonValue.Create(value.ToJsonString()),
        JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False => JsonValue.Create(value.GetValueKind() == JsonValueKind.True ? "true" : "false"),
        null => null,
        _ => node.DeepClone(),
    };

    private static string Describe(AlertRule rule)
    {
        var condition = rule.Threshold is { } threshold
            ? $"{rule.Metric} {rule.Comparator.Symbol()} {threshold.ToString(CultureInfo.InvariantCulture)}"
            : rule.Anomaly is { } anomaly ? $"{rule.Metric} anomaly z {anomaly.ZScore.ToString(CultureInfo.InvariantCulture)}" : $"{rule.Metric} no data";
        return $"{condition} on {rule.Target}, {rule.Severity.ToString().ToLowerInvariant()}";
    }

    private sealed class DuplicateFieldException(string name) : Exception($"field '{name}' is given twice")
    {
        public string Field => name;
    }
}
