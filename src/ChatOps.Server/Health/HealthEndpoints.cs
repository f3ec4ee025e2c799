using ChatOps.Core.Ports;
using ChatOps.Kafka;
using ChatOps.Postgres;

namespace ChatOps.Server.Health;

/// <summary><c>/healthz</c> (the process is alive) and <c>/readyz</c> (its dependencies answer).</summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Json(new { status = "ok" }));
        app.MapGet("/readyz", ReadyAsync);
        return app;
    }

    private static async Task<IResult> ReadyAsync(IServerStore servers, IAgentRegistry registry, IServiceProvider services, CancellationToken cancellationToken)
    {
        var checks = new Dictionary<string, string>();
        await CheckAsync(checks, "store", () => servers.ListAsync(cancellationToken));
        await CheckAsync(checks, "state", () => registry.ListAsync(cancellationToken));
        if (services.GetService<KafkaEventBus>() is { } kafka)
            checks["bus"] = await kafka.IsConnectedAsync(cancellationToken: cancellationToken) ? "ok" : "failing: Kafka brokers unreachable";
        if (services.GetService<PostgresHealthProbe>() is { } postgres)
        {
            var health = await postgres.CheckAsync(cancellationToken);
            foreach (var (name, result) in health.Checks) checks["postgres:" + name] = result;
            if (!health.IsReady) checks["postgres"] = "failing";
        }
        var ready = checks.Values.All(v => v == "ok");
        return Results.Json(new { status = ready ? "ready" : "not_ready", checks }, statusCode: ready ? 200 : 503);
    }

    private static async Task CheckAsync<T>(Dictionary<string, string> checks, string name, Func<Task<T>> probe)
    {
        try
        {
            await probe();
            checks[name] = "ok";
        }
        catch (Exception ex)
        {
            checks[name] = "failing: " + ex.Message;
        }
    }
}
