using ChatOps.Core.Agents;
using ChatOps.Core.Observability;

namespace ChatOps.Server.Observability;

/// <summary><c>GET /metrics</c> in Prometheus text format. Anonymous like /healthz: it carries counts, never data.</summary>
public static class MetricsEndpoint
{
    public static IServiceCollection AddChatOpsObservability(this IServiceCollection services)
    {
        services.AddSingleton<ChatOpsMeter>();
        services.AddSingleton<PrometheusExporter>();
        services.AddSingleton<CommandMetricsConsumer>();
        return services;
    }

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        var services = app.ServiceProvider;
        var exporter = services.GetRequiredService<PrometheusExporter>();
        var meter = services.GetRequiredService<ChatOpsMeter>();
        var gateway = services.GetRequiredService<AgentGateway>();
        meter.ObserveGauge("chatops_agents_connected", "Agents connected to this gateway node", () => gateway.ConnectedServers.Count);
        app.MapGet("/metrics", () => Results.Text(exporter.Render(), "text/plain; version=0.0.4; charset=utf-8"));
        return app;
    }
}
