using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ChatOps.Core.Chat;
using ChatOps.Core.Chat.Web;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatOps.Core.Alerts.Scheduling;

/// <summary>
/// Runs a scheduled command through the normal path (intake → commands-topic → router → agent) as the
/// scheduler user, so roles, locks, the allowlist and the audit apply as to a person; the command's
/// replies and output land in a thread on the schedule's route. A claim per (schedule, fire time)
/// makes several scheduler replicas run each firing once.
/// </summary>
public sealed partial class ScheduledCommandRunner(
    WebConsole console,
    CommandIntake intake,
    IEnumerable<IChatClient> clients,
    INotificationLedger ledger,
    IUserStore users,
    IOptions<AlertOptions> options,
    TimeProvider time,
    ILogger<ScheduledCommandRunner> logger)
{
    private readonly AlertOptions _options = options.Value;
    private readonly string _instanceId = "scheduler-" + Security.Secrets.NewShortId(6);

    /// <summary>Creates the scheduler user (operator) if it does not exist; an admin may change its roles later.</summary>
    public async Task EnsureUserAsync(CancellationToken cancellationToken)
    {
        if (await users.GetUserAsync(_options.SchedulerUser, cancellationToken) is not null) return;
        await users.UpsertUserAsync(new User(_options.SchedulerUser, "scheduler", [Roles.Operator], time.GetUtcNow()), cancellationToken);
    }

    /// <summary>Runs one firing; false when another replica ran (or is running) it.</summary>
    public async Task<bool> RunAsync(ScheduledCommand schedule, DateTimeOffset fireTime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var firing = fireTime.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var key = new NotificationKey("schedule:" + schedule.Name, schedule.Route.Key, firing);
        if (await ledger.TryClaimAsync(key, _instanceId, time.GetUtcNow(), _options.ClaimLease, cancellationToken) != ClaimOutcome.Claimed) return false;

        var requester = new Requester(_options.SchedulerUser, "system:scheduler", $"scheduler ({schedule.Name})");
        var requestId = RequestId(schedule.Name, firing);
        LogRunning(schedule.Name, schedule.Command, requestId);
        if (schedule.Route.Platform == WebChatClient.PlatformName)
        {
            await console.PostAsync(requester, schedule.Route.Channel, schedule.Command, null, requestId, cancellationToken);
        }
        else if (clients.FirstOrDefault(c => string.Equals(c.Platform, schedule.Route.Platform, StringComparison.OrdinalIgnoreCase)) is { } client)
        {
            var replyTo = new ChatRef(schedule.Route.Platform, schedule.Route.Channel, null);
            var decision = await intake.PrepareAsync(new IntakeRequest(requester, replyTo, schedule.Command, requestId), cancellationToken);
            await client.PostReplyAsync(replyTo, new ChatReply($"⏰ {schedule.Name}: {decision.Reply.Text}", ReplyKind.Status, requestId + ":ack"), cancellationToken);
            if (decision.Pending is not null && await intake.SubmitAsync(decision, cancellationToken) is { } refused)
                await client.PostReplyAsync(replyTo, new ChatReply(refused.Text, ReplyKind.Error, requestId + ":refused"), cancellationToken);
        }
        else
        {
            LogNoClient(schedule.Name, schedule.Route.Platform);
        }

        await ledger.CompleteAsync(key, _instanceId, time.GetUtcNow(), cancellationToken);
        return true;
    }

    // Deterministic per firing, so a redelivered request never runs twice (the router's unique id).
    private static string RequestId(string name, string firing) =>
        "sch-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name + "\n" + firing)))[..16];

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduled command {Schedule}: running `{Command}` as request {RequestId}")]
    private partial void LogRunning(string schedule, string command, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scheduled command {Schedule}: no chat client for platform '{Platform}' in this process; not run")]
    private partial void LogNoClient(string schedule, string platform);
}
