using ChatOps.Core.Alerts.Evaluation;
using ChatOps.Core.Alerts.Notifications;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Alerts.Scheduling;
using Quartz;

namespace ChatOps.Server.Alerts;

// Quartz jobs: thin triggers around the Core services, which own the logic and take time from the
// injected TimeProvider. A failure is logged and the next firing tries again.

/// <summary>The evaluator's time-driven half, and the pick-up of rules edited by other processes.</summary>
public sealed partial class AlertTickJob(AlertEvaluator evaluator, AlertRuleService ruleService, ILogger<AlertTickJob> logger) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await ruleService.RefreshAsync(cancellationToken);
            await evaluator.TickAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The alert tick failed; the next one tries again")]
    private partial void LogFailed(Exception error);
}

/// <summary>Sends due email and webhook messages.</summary>
public sealed partial class OutboxDrainJob(OutboxDrainer drainer, ILogger<OutboxDrainJob> logger) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await drainer.DrainOnceAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Draining the notification outbox failed; the next run tries again")]
    private partial void LogFailed(Exception error);
}

/// <summary>One firing of a scheduled command (its name in the job data).</summary>
public sealed partial class ScheduledCommandJob(AlertRuleSet rules, ScheduledCommandRunner runner, TimeProvider time, ILogger<ScheduledCommandJob> logger) : IJob
{
    public const string ScheduleKey = "schedule";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var name = context.MergedJobDataMap.TryGetValue(ScheduleKey, out var value) ? value as string : null;
        var schedule = rules.Schedules.FirstOrDefault(s => s.Name == name);
        if (schedule is null)
        {
            LogUnknown(name ?? "?");
            return;
        }

        try
        {
            await runner.RunAsync(schedule, context.ScheduledFireTimeUtc ?? time.GetUtcNow(), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(ex, schedule.Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scheduled command {Schedule} fired but is no longer defined")]
    private partial void LogUnknown(string schedule);

    [LoggerMessage(Level = LogLevel.Error, Message = "Scheduled command {Schedule} failed to run")]
    private partial void LogFailed(Exception error, string schedule);
}
