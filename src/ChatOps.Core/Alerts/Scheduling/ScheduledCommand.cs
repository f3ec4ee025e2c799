using ChatOps.Core.Alerts.Rules;

namespace ChatOps.Core.Alerts.Scheduling;

/// <summary>
/// A command run on a schedule (Quartz cron, with seconds: <c>0 0 3 * * ?</c> is 03:00 daily) through
/// the normal intake and router path as the scheduler user, its output posted to <see cref="Route"/>.
/// </summary>
public sealed record ScheduledCommand(string Name, string Cron, string Command, AlertRoute Route);
