using ChatOps.Core.Domain;

namespace ChatOps.Slack.Internal;

/// <summary>One configured Slack user: the identity to link and the roles it gets.</summary>
internal sealed record SlackUserMapping(string Identity, IReadOnlyList<string> Roles);

/// <summary>Reads <c>ChatOps:Slack:Users</c>: <c>[team/]user=role[+role],…</c>.</summary>
internal static class SlackUserMappings
{
    /// <returns>The problems found (empty when all entries are good).</returns>
    public static IReadOnlyList<string> Parse(string? text, out IReadOnlyList<SlackUserMapping> mappings)
    {
        var problems = new List<string>();
        var result = new List<SlackUserMapping>();
        foreach (var entry in (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            var who = equals < 0 ? entry : entry[..equals].Trim();
            var roles = equals < 0 ? [] : entry[(equals + 1)..].Split('+', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var slash = who.IndexOf('/', StringComparison.Ordinal);
            var team = slash < 0 ? null : who[..slash];
            var user = slash < 0 ? who : who[(slash + 1)..];
            if (!SlackIds.IsUserId(user) || (team is not null && !SlackIds.IsTeamId(team)))
                problems.Add($"'{entry}' must start with a Slack user id such as U0ALICE01 (or T0TEAM001/U0ALICE01)");
            else if (roles.Length == 0)
                problems.Add($"'{entry}' needs roles, e.g. {who}=operator");
            else if (roles.FirstOrDefault(r => !Roles.All.Contains(r)) is { } unknown)
                problems.Add($"'{entry}' names an unknown role '{unknown}' (known: {string.Join(", ", Roles.All)})");
            else
                result.Add(new SlackUserMapping(team is null ? $"slack:{user}" : $"slack:{team}/{user}", roles.Distinct().ToList()));
        }

        mappings = result;
        return problems;
    }
}
