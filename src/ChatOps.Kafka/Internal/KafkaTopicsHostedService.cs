using ChatOps.Core.Events;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatOps.Kafka.Internal;

/// <summary>
/// Creates the five ChatOps topics at start-up where missing. Kafka being away at start does not stop
/// the host (readiness says so): it retries with backoff until the topics are checked.
/// </summary>
internal sealed class KafkaTopicsHostedService(KafkaEventBus bus, TimeProvider time, ILogger<KafkaTopicsHostedService> logger) : BackgroundService
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pause = FirstRetry;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await bus.EnsureTopicsAsync(Topics.All, stoppingToken).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Could not check the Kafka topics ({Reason}); retrying in {Pause}", ex.Message, pause);
            }

            try
            {
                await Task.Delay(pause, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LastRetry.Ticks));
        }
    }
}
