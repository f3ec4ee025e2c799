using ChatOps.Core.Commands;
using ChatOps.Core.Domain;

namespace ChatOps.Core.Alerts;

/// <summary>
/// Mutes alerts of servers matched by <see cref="Target"/> (id, glob or tag) and, optionally, only of
/// rules matched by <see cref="Rule"/> (a name or a glob), from <see cref="StartsAt"/> to
/// <see cref="EndsAt"/>. A start in the future makes it a maintenance window. Alerts are still
/// evaluated and recorded while silenced; only announcements and escalations stop.
/// </summary>
public sealed record Silence(
    string Id,
    string Target,
    string? Rule,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    string CreatedBy,
    string? Comment,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiredAt = null)
{
    /// <summary>The first of <paramref name="silences"/> muting <paramref name="ruleName"/> on <paramref name="server"/> at <paramref name="at"/>.</summary>
    public static Silence? FirstCovering(IEnumerable<Silence> silences, Server server, string ruleName, DateTimeOffset at) =>
        silences.FirstOrDefault(silence => silence.IsActiveAt(at) && silence.Matches(server, ruleName));

    public bool IsActiveAt(DateTimeOffset at) => ExpiredAt is null && StartsAt <= at && at < EndsAt;

    public bool Matches(Server server, string ruleName)
    {
        if (!TargetSelector.TryParse(Target, out var servers, out _) || !servers.Matches(server)) return false;
        if (Rule is null or "*") return true;

        // Rule names follow server-id spelling, so the target glob matcher serves for them too.
        return TargetSelector.TryParse(Rule, out var rules, out _)
            && rules.Kind != TargetKind.Tag
            && rules.Matches(new Server(ruleName, null, [], default));
    }
}
