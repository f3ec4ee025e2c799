using System.Diagnostics.Metrics;
using ChatOps.Core.Agents;
using ChatOps.Core.Observability;
using ChatOps.Core.Ports;
using ChatOps.Server.Hosting;

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
        var gcPauses = GcPauseRecorder.Attach(meter);
        services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(gcPauses.Dispose);
        var gateway = services.GetRequiredService<AgentGateway>();
        meter.ObserveGauge("chatops_agents_connected", "Agents connected to this gateway node", () => gateway.ConnectedServers.Count);
        if (ConsumerLagSource(services.GetRequiredService<IEventBus>()) is { } lag)
            meter.ObserveGauges("chatops_bus_consumer_lag", "Messages not yet handled by this process's consumer-group members, by topic and group",
                () => lag.ReadConsumerLag().Select(l => new Measurement<long>(l.Lag,
                    new KeyValuePair<string, object?>("topic", l.Topic), new KeyValuePair<string, object?>("group", l.Group))));

        var settings = services.GetRequiredService<ChatOpsSettings>();
        var alerts = settings.Runs("alerts") && services.GetService<IAlertStore>() is { } store
            ? new AlertsFiringGauge(store, meter, services.GetRequiredService<ILogger<AlertsFiringGauge>>())
            : null;
        app.MapGet("/metrics", async (CancellationToken cancellationToken) =>
        {
            if (alerts is not null) await alerts.RefreshAsync(cancellationToken);
            return Results.Text(exporter.Render(), "text/plain; version=0.0.4; charset=utf-8");
        });
        return app;
    }

    private static IConsumerLagSource? ConsumerLagSource(IEventBus bus) =>
        bus as IConsumerLagSource ?? (bus as TracingEventBus)?.Inner as IConsumerLagSource;
}
