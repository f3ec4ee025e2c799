using ChatOps.Core.Agents;
using ChatOps.Core.Approvals;
using ChatOps.Core.Events;
using ChatOps.Core.Metrics;
using ChatOps.Core.Notifications;
using ChatOps.Core.Observability;
using ChatOps.Core.Ports;
using ChatOps.Core.Routing;
using ChatOps.Postgres;
using ChatOps.Server.Alerts;

namespace ChatOps.Server.Hosting;

/// <summary>
/// Starts the modules named by <c>ChatOps:Services</c>: their bus consumers and background loops.
/// Modules talk only through the bus and the state ports, so any split across processes works.
/// </summary>
public sealed partial class ModuleHost(
    ChatOpsSettings settings,
    IEventBus bus,
    IServiceProvider services,
    ILogger<ModuleHost> logger) : IHostedService
{
    private readonly List<IAsyncDisposable> _subscriptions = [];
    private readonly List<IHostedService> _loops = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.Runs("agent-gateway"))
            await StartLoopAsync(services.GetRequiredService<AgentGateway>(), cancellationToken);

        if (settings.Runs("router"))
        {
            var router = services.GetRequiredService<CommandRouter>();
            _subscriptions.Add(await bus.SubscribeAsync(Topics.Commands, CommandRouter.ConsumerGroup, router.HandleAsync, cancellationToken: cancellationToken));
            await StartLoopAsync(services.GetRequiredService<RouterSweeper>(), cancellationToken);
        }

        if (settings.Runs("notifications"))
        {
            var notifier = services.GetRequiredService<CommandNotifier>();
            _subscriptions.Add(await bus.SubscribeAsync(Topics.Commands, CommandNotifier.ConsumerGroup, notifier.HandleAsync, cancellationToken: cancellationToken));
            var approvals = services.GetRequiredService<ApprovalNotifier>();
            _subscriptions.Add(await bus.SubscribeAsync(Topics.Commands, ApprovalNotifier.ConsumerGroup, approvals.HandleAsync, cancellationToken: cancellationToken));
        }

        if (settings.Runs("metrics"))
        {
            var ingestor = services.GetRequiredService<MetricsIngestor>();
            _subscriptions.Add(await bus.SubscribeAsync(Topics.Metrics, MetricsIngestor.ConsumerGroup, ingestor.HandleAsync, cancellationToken: cancellationToken));

            // With PostgreSQL, samples are also stored as time series (batched COPY; back-pressure, not drops).
            if (services.GetService<PostgresMetricsIngestor>() is { } storage)
                _subscriptions.Add(await bus.SubscribeAsync(Topics.Metrics, "metrics-store", async (envelope, ct) =>
                {
                    if (envelope.Type == EventTypes.MetricsReported)
                        await storage.EnqueueAsync(envelope.Read<MetricsReported>().Snapshot, ct);
                }, cancellationToken: cancellationToken));
        }

        // Every process counts a share of the finished commands (one shared group), so /metrics sums across pods.
        var counting = services.GetRequiredService<CommandMetricsConsumer>();
        _subscriptions.Add(await bus.SubscribeAsync(Topics.Commands, CommandMetricsConsumer.ConsumerGroup, counting.HandleAsync, cancellationToken: cancellationToken));

        if (settings.Runs("alerts") || settings.Runs("notifications") || settings.Runs("scheduler"))
        {
            var alerting = services.GetRequiredService<AlertModule>();
            await alerting.StartAsync(cancellationToken);
            _subscriptions.Add(alerting);
        }

        LogStarted(string.Join(", ", settings.Services.Order()));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var loop in Enumerable.Reverse(_loops)) await loop.StopAsync(cancellationToken);
        foreach (var subscription in _subscriptions) await subscription.DisposeAsync();
    }

    private async Task StartLoopAsync(IHostedService loop, CancellationToken cancellationToken)
    {
        await loop.StartAsync(cancellationToken);
        _loops.Add(loop);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ChatOps modules running: {Services}")]
    private partial void LogStarted(string services);
}
