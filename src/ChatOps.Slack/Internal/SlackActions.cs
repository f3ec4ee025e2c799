namespace ChatOps.Slack.Internal;

/// <summary>
/// The <c>action_id</c>s of our buttons. Slack wants ids unique within a block, so a block with
/// several buttons of one kind numbers them (<c>cancel-1</c>); the kind is the part before <c>-</c>.
/// The button's <c>value</c> carries what it acts on (a command id, an alert id).
/// </summary>
internal static class SlackActions
{
    public const string Cancel = "cancel";
    public const string Approve = "approve";
    public const string Deny = "deny";
    public const string AlertAck = "alert_ack";
    public const string AlertResolve = "alert_resolve";
    public const string AlertRunbook = "alert_runbook";
    public const string AlertSilence = "alert_silence";

    public static string KindOf(string actionId)
    {
        var dash = actionId.IndexOf('-', StringComparison.Ordinal);
        return dash < 0 ? actionId : actionId[..dash];
    }
}
