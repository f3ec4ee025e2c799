namespace ChatOps.Core.Approvals;

public sealed class ApprovalOptions
{
    /// <summary>How long a high-risk request waits for approval before it expires (<c>ChatOps:Approvals:Expiry</c>).</summary>
    public TimeSpan Expiry { get; set; } = TimeSpan.FromMinutes(15);

    public IEnumerable<string> Validate()
    {
        if (Expiry < TimeSpan.FromSeconds(10) || Expiry > TimeSpan.FromDays(7))
            yield return "ChatOps:Approvals:Expiry must be between 10 seconds and 7 days";
    }
}
