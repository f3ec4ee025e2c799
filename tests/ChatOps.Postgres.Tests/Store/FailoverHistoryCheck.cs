namespace ChatOps.Postgres.Tests.Store;

/// <summary>The rows the promoted server holds at the end, read straight from it.</summary>
internal sealed record FailoverFinalState(
    IReadOnlyDictionary<string, (string State, long? FencingToken)> Commands,
    IReadOnlyDictionary<string, long> Generations,
    IReadOnlyDictionary<string, (string Owner, bool Completed)> Claims);

/// <summary>
/// Checks a <see cref="FailoverHistory"/> against the final rows, list-append style: every answer
/// the store gave must be explained by the rows, and every row by the answers. An errored call is
/// indeterminate (it may or may not have applied); a value is a promise. So, per key:
/// at most one caller is told "created" / "moved" / "claimed"; what a caller was told survives the
/// fail-over; a "false" is only given when something else (told or errored) took the row; and no
/// generation (fencing token) is handed out twice.
/// </summary>
internal static class FailoverHistoryCheck
{
    public static IReadOnlyList<string> Violations(IReadOnlyCollection<FailoverEntry> history, FailoverFinalState final)
    {
        var violations = new List<string>();
        foreach (var command in history.Where(e => e.Op is FailoverOp.Create or FailoverOp.Start or FailoverOp.Finish).GroupBy(e => e.Key))
        {
            CheckCommand(command.Key, command.ToList(), final.Commands.TryGetValue(command.Key, out var row) ? row : null, violations);
        }

        foreach (var claim in history.Where(e => e.Op is FailoverOp.Claim or FailoverOp.Complete).GroupBy(e => e.Key))
        {
            CheckClaim(claim.Key, claim.ToList(), final.Claims.TryGetValue(claim.Key, out var row) ? row : null, violations);
        }

        foreach (var enrolments in history.Where(e => e.Op == FailoverOp.Enroll).GroupBy(e => e.Key))
        {
            CheckGenerations(enrolments.Key, enrolments.ToList(), final.Generations.GetValueOrDefault(enrolments.Key), violations);
        }

        return violations;
    }

    private static void CheckCommand(string id, List<FailoverEntry> entries, (string State, long? FencingToken)? row, List<string> violations)
    {
        var creates = Tally(entries, FailoverOp.Create);
        if (creates.True > 1)
        {
            violations.Add($"{id}: {creates.True} callers were told they created it (duplicate request id)");
        }

        if (creates.True == 1 && row is null)
        {
            violations.Add($"{id}: an acknowledged create is lost");
        }

        if (row is not null && creates.True == 0 && creates.Errors == 0)
        {
            violations.Add($"{id}: the row exists, yet every create answered false (a failure turned into 'exists already')");
        }

        if (row is null && creates.False > 0 && creates.Errors == 0)
        {
            violations.Add($"{id}: a create answered 'exists already' for a row that never existed");
        }

        var starts = Tally(entries, FailoverOp.Start);
        var finishes = Tally(entries, FailoverOp.Finish);
        var state = row?.State;
        CheckTransition(id, "queued→running", starts, state is "running" or "succeeded", state == "queued", violations);
        CheckTransition(id, "running→succeeded", finishes, state == "succeeded", state == "running", violations);

        // The token stored is the one of the caller told it moved the command (or of one whose call errored).
        var startedBy = entries.Where(e => e.Op == FailoverOp.Start && e.Returned(true)).Select(e => e.Actor).ToList();
        if (startedBy.Count == 1 && row?.FencingToken?.ToString(System.Globalization.CultureInfo.InvariantCulture) != startedBy[0])
        {
            violations.Add($"{id}: started with fencing token {startedBy[0]}, but the row holds {row?.FencingToken}");
        }

        if (finishes.True > 0 && starts.True == 0 && starts.Errors == 0)
        {
            violations.Add($"{id}: finished, yet no start was acknowledged or errored");
        }
    }

    /// <param name="reached">The row is in the transition's target state, or later.</param>
    /// <param name="stillBefore">The row is still in the transition's source state.</param>
    private static void CheckTransition(string id, string name, (int True, int False, int Errors) tally, bool reached, bool stillBefore, List<string> violations)
    {
        if (tally.True > 1)
        {
            violations.Add($"{id}: {tally.True} callers were told they made {name}");
        }

        if (tally.True == 1 && !reached)
        {
            violations.Add($"{id}: the acknowledged {name} is lost or went backwards");
        }

        if (reached && tally.True == 0 && tally.Errors == 0)
        {
            violations.Add($"{id}: {name} happened, yet every caller was told it did not");
        }

        if (stillBefore && tally.False > 0 && tally.Errors == 0)
        {
            violations.Add($"{id}: {name} answered false while nothing else moved the row (a failure swallowed)");
        }
    }

    private static void CheckClaim(string subject, List<FailoverEntry> entries, (string Owner, bool Completed)? row, List<string> violations)
    {
        var owners = entries.Where(e => e.Op == FailoverOp.Claim && e.Returned(ChatOps.Core.Ports.ClaimOutcome.Claimed)).Select(e => e.Actor).Distinct().ToList();
        if (owners.Count > 1)
        {
            violations.Add($"{subject}: claimed by {string.Join(" and ", owners)} (a claim issued twice)");
        }

        if (owners.Count == 1 && row?.Owner != owners[0])
        {
            violations.Add($"{subject}: the acknowledged claim of {owners[0]} is lost (row: {row?.Owner ?? "none"})");
        }

        if (entries.Any(e => e.Op == FailoverOp.Complete && e.Acknowledged) && row is not { Completed: true })
        {
            violations.Add($"{subject}: an acknowledged completion is lost");
        }

        var heldByOther = entries.Any(e => e.Op == FailoverOp.Claim && e.Returned(ChatOps.Core.Ports.ClaimOutcome.HeldByOther));
        if (heldByOther && owners.Count == 0 && !entries.Any(e => e.Op == FailoverOp.Claim && !e.Acknowledged))
        {
            violations.Add($"{subject}: answered 'held by another' though nobody was told they hold it and no claim errored");
        }
    }

    private static void CheckGenerations(string serverId, List<FailoverEntry> entries, long finalGeneration, List<string> violations)
    {
        var issued = entries.Where(e => e.Acknowledged).Select(e => (long)e.Value!).ToList();
        foreach (var twice in issued.GroupBy(g => g).Where(g => g.Count() > 1))
        {
            violations.Add($"{serverId}: generation (fencing token) {twice.Key} issued {twice.Count()} times");
        }

        var errors = entries.Count(e => !e.Acknowledged);
        if (issued.Count > 0 && finalGeneration < issued.Max())
        {
            violations.Add($"{serverId}: generation {issued.Max()} was issued, but the row went back to {finalGeneration}");
        }

        // Every bump is one call: acknowledged ones all applied, errored ones may have.
        if (finalGeneration < issued.Count || finalGeneration > issued.Count + errors)
        {
            violations.Add($"{serverId}: generation {finalGeneration} after {issued.Count} acknowledged and {errors} errored enrolments");
        }
    }

    private static (int True, int False, int Errors) Tally(List<FailoverEntry> entries, FailoverOp op) =>
        (entries.Count(e => e.Op == op && e.Returned(true)),
         entries.Count(e => e.Op == op && e.Returned(false)),
         entries.Count(e => e.Op == op && !e.Acknowledged));
}
