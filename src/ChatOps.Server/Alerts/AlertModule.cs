using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Evaluation;
using ChatOps.Core.Alerts.Notifications;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Alerts.Scheduling;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Server.Hosting;
using Microsoft.Extensions.Options;
using Quartz;

namespace ChatOps.Server.Alerts;

/// <summary>
/// The alerting modules of this process, started by <see cref="ModuleHost"/>: <c>alerts</c> (rules
/// file, evaluator on metrics-topic, tick job), <c>notifications</c> (notifier on alerts-topic,
/// outbox drain job) and <c>scheduler</c> (a Quartz job per scheduled command). Disposing stops them.
/// </summary>
public sealed partial class AlertModule(
    ChatOpsSettings settings,
    IServiceProvider services,
    IEventBus bus,
    ISchedulerFactory schedulers,
    IOptions<AlertOptions> options,
    ILogger<AlertModule> logger) : IAsyncDisposable
{
    private const string ScheduleGroup = "scheduled-commands";

    private readonly List<IAsyncDisposable> _subscriptions = [];
    private readonly AlertOptions _options = options.Value;
    private readonly SemaphoreSlim _scheduleGate = new(1, 1);
    private RulesFileWatcher? _watcher;
    private IScheduler? _scheduler;
    private AlertRuleSet? _rules;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var alerts = settings.Runs("alerts");
        var notifications = settings.Runs("notifications");
        var scheduler = settings.Runs("scheduler");
        _rules = services.GetRequiredService<AlertRuleSet>();

        if (alerts || scheduler)
        {
            _watcher = services.GetRequiredService<RulesFileWatcher>();
            _watcher.ReloadIfChanged();
            await _watcher.StartAsync(cancellationToken);
        }

        _scheduler = await schedulers.GetScheduler(cancellationToken);
        if (alerts)
        {
            await services.GetRequiredService<AlertRuleService>().RefreshAsync(cancellationToken);
            var evaluator = services.GetRequiredService<AlertEvaluator>();
            _subscriptions.Add(await bus.SubscribeAsync(Topics.Metrics, AlertEvaluator.ConsumerGroup, evaluator.HandleAsync, cancellationToken: cancellationToken));
            await ScheduleRepeatingAsync<AlertTickJob>("alert-tick", _options.TickInterval, cancellationToken);
        }

        if (notifications)
        {
            var notifier = services.GetRequiredService<AlertNotifier>();
            _subscriptions.Add(await bus.SubscribeAsync(Topics.Alerts, AlertNotifier.ConsumerGroup, notifier.HandleAsync, cancellationToken: cancellationToken));
            await ScheduleRepeatingAsync<OutboxDrainJob>("outbox-drain", _options.DeliveryInterval, cancellationToken);
        }

        if (scheduler)
        {
            await services.GetRequiredService<ScheduledCommandRunner>().EnsureUserAsync(cancellationToken);
            await SyncSchedulesAsync(cancellationToken);
            _rules.SchedulesChanged += OnSchedulesChanged;
        }

        await _scheduler.Start(cancellationToken);
        LogStarted(alerts, notifications, scheduler, _rules.Rules.Count, _rules.Schedules.Count);
    }

    private async Task ScheduleRepeatingAsync<TJob>(string name, TimeSpan interval, CancellationToken cancellationToken) where TJob : IJob
    {
        var job = JobBuilder.Create<TJob>().WithIdentity(name).DisallowConcurrentExecution().Build();
        var trigger = TriggerBuilder.Create()
            .WithIdentity(name)
            .StartNow()
            .WithSimpleSchedule(schedule => schedule.WithInterval(interval).RepeatForever())
            .Build();
        await _scheduler!.ScheduleJob(job, trigger, cancellationToken: cancellationToken);
    }

    private void OnSchedulesChanged() => _ = ResyncAsync();

    private async Task ResyncAsync()
    {
        try
        {
            await SyncSchedulesAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is SchedulerException or InvalidOperationException)
        {
            LogResyncFailed(ex);
        }
    }

    /// <summary>One cron trigger per scheduled command, replacing those of the previous rules file.</summary>
    private async Task SyncSchedulesAsync(CancellationToken cancellationToken)
    {
        await _scheduleGate.WaitAsync(cancellationToken);
        try
        {
            await _scheduler!.DeleteJobs(GroupMatcher<JobKey>.GroupEquals(ScheduleGroup), cancellationToken);
            foreach (var schedule in _rules!.Schedules)
            {
                var job = JobBuilder.Create<ScheduledCommandJob>()
                    .WithIdentity(schedule.Name, ScheduleGroup)
                    .UsingJobData(ScheduledCommandJob.ScheduleKey, schedule.Name)
                    .DisallowConcurrentExecution()
                    .Build();
                var trigger = TriggerBuilder.Create()
                    .WithIdentity(schedule.Name, ScheduleGroup)
                    .WithCronSchedule(schedule.Cron)
                    .Build();
                await _scheduler.ScheduleJob(job, trigger, cancellationToken: cancellationToken);
            }
        }
        finally
        {
            _scheduleGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_rules is not null) _rules.SchedulesChanged -= OnSchedulesChanged;
        if (_scheduler is not null) await _scheduler.Shutdown(waitForJobsToComplete: true);
        if (_watcher is not null) await _watcher.StopAsync(CancellationToken.None);
        foreach (var subscription in _subscriptions) await subscription.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Alerting running (alerts: {Alerts}, notifications: {Notifications}, scheduler: {Scheduler}); {Rules} rule(s), {Schedules} scheduled command(s)")]
    private partial void LogStarted(bool alerts, bool notifications, bool scheduler, int rules, int schedules);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rescheduling the scheduled commands failed")]
    private partial void LogResyncFailed(Exception error);
}
