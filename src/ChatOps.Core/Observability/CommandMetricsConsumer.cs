using System.Diagnostics.Metrics;
using ChatOps.Core.Agents;
using ChatOps.Core.Events;

namespace ChatOps.Core.Observability;

/// <summary>
/// Counts finished commands from commands-topic. One shared consumer group across all processes, so
/// each event is counted once in the cluster and Prometheus sums the pods.
/// </summary>
public sealed class CommandMetricsConsumer(ChatOpsMeter meter)
{
    public const string ConsumerGroup = "observability";

    public Task HandleAsync(Envelope envelope, CancellationToken cancellationToken)
    {
        switch (envelope.Type)
        {
            case EventTypes.CommandCompleted:
                var completed = envelope.Read<CommandCompleted>();
                meter.CommandsFinished.Add(1, new KeyValuePair<string, object?>("status", completed.Status));
                meter.CommandDuration.Record(completed.DurationMs / 1000.0, new KeyValuePair<string, object?>("status", completed.Status));
                break;
            case EventTypes.CommandFailed:
                var failed = envelope.Read<CommandFailed>();
                var status = failed.Reason == FailureReasons.Cancelled ? ResultStatuses.Cancelled : "failed";
                meter.CommandsFinished.Add(1, new KeyValuePair<string, object?>("status", status), new KeyValuePair<string, object?>("reason", failed.Reason));
                break;
        }

        return Task.CompletedTask;
    }
}
