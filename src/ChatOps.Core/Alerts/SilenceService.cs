using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Core.Security;
using Microsoft.Extensions.Logging;

namespace ChatOps.Core.Alerts;

/// <summary>What a person asks for: mute <paramref name="Target"/> (and optionally only <paramref name="Rule"/>) for <paramref name="Duration"/>.</summary>
/// <param name="StartsAt">A future start makes a maintenance window; null is now.</param>
public sealed record SilenceRequest(string Target, TimeSpan Duration, string? Comment, Requester CreatedBy, string? Rule = null, DateTimeOffset? StartsAt = null);

public sealed record SilenceResult(bool Succeeded, string Message, Silence? Silence = null);

/// <summary>Silences and maintenance windows: from chat (<c>silence web-3 2h "deploy"</c>) and the admin page.</summary>
public sealed partial class SilenceService(
    ISilenceStore silences,
    IAlertStore alerts,
    AlertLifecycle lifecycle,
    TimeProvider time,
    ILogger<SilenceService> logger)
{
    public const int MaxCommentLength = 500;
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(31);

    public async Task<SilenceResult> CreateAsync(SilenceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!TargetSelector.TryParse(request.Target, out var target, out var targetError)) return new(false, targetError);
        if (request.Rule is { } rule && rule != "*" && (!TargetSelector.TryParse(rule, out var rules, out _) || rules.Kind == TargetKind.Tag))
            return new(false, $"`{TextHygiene.Escape(rule)}` is not a rule name or glob (e.g. cpu-high, disk-*).");
        if (request.Duration <= TimeSpan.Zero || request.Duration > MaxDuration)
            return new(false, $"A silence lasts more than 0 s and at most {MaxDuration.TotalDays:0} days.");
        if (request.Comment is { Length: > MaxCommentLength })
            return new(false, $"The comment is longer than {MaxCommentLength} characters.");

        var now = time.GetUtcNow();
        var startsAt = request.StartsAt is { } start && start > now ? start : now;
        var silence = new Silence("s" + Secrets.NewShortId(7), target.Expression, request.Rule, startsAt, startsAt + request.Duration,
            request.CreatedBy.DisplayName, string.IsNullOrWhiteSpace(request.Comment) ? null : request.Comment.Trim(), now);
        if (!await silences.CreateAsync(silence, cancellationToken)) return new(false, "Could not store the silence (id clash); try again.");
        LogCreated(silence.Id, silence.Target, silence.Rule ?? "*", silence.StartsAt, silence.EndsAt, request.CreatedBy.UserId);

        var muted = silence.StartsAt <= now ? await MuteOpenAlertsAsync(silence, cancellationToken) : 0;
        var scope = $"`{silence.Target}`{(silence.Rule is null ? "" : $" (rule `{silence.Rule}`)")}";
        var when = silence.StartsAt > now
            ? $"from {silence.StartsAt:yyyy-MM-dd HH:mm} to {silence.EndsAt:yyyy-MM-dd HH:mm} UTC (maintenance window)"
            : $"for {DurationParser.Format(request.Duration)}, until {silence.EndsAt:yyyy-MM-dd HH:mm} UTC";
        var comment = silence.Comment is null ? "" : $": {TextHygiene.Escape(silence.Comment)}";
        var mutedText = muted == 0 ? "" : $" {muted} open alert(s) muted.";
        return new(true, $"🔕 Silenced {scope} {when} as {silence.Id}{comment}.{mutedText}", silence);
    }

    /// <summary>Ends a silence now; alerts it muted that still fire are announced by the next tick.</summary>
    public Task<bool> ExpireAsync(string id, CancellationToken cancellationToken = default) =>
        silences.ExpireAsync(id, time.GetUtcNow(), cancellationToken);

    /// <summary>Current and future silences.</summary>
    public Task<IReadOnlyList<Silence>> ListAsync(CancellationToken cancellationToken = default) =>
        silences.ListCurrentAsync(time.GetUtcNow(), cancellationToken);

    private async Task<int> MuteOpenAlertsAsync(Silence silence, CancellationToken cancellationToken)
    {
        var muted = 0;
        foreach (var alert in await alerts.ListActiveAsync(cancellationToken: cancellationToken))
        {
            if (alert.SilencedBy is not null) continue;
            var server = await lifecycle.ServerAsync(alert.ServerId, cancellationToken);
            if (!silence.Matches(server, alert.RuleName)) continue;
            if (await lifecycle.SilenceAsync(alert, silence, cancellationToken) is not null) muted++;
        }

        return muted;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Silence {SilenceId} on {Target} rule {Rule} from {StartsAt} to {EndsAt} by {UserId}")]
    private partial void LogCreated(string silenceId, string target, string rule, DateTimeOffset startsAt, DateTimeOffset endsAt, string userId);
}
