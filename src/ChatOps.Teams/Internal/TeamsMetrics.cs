using ChatOps.Core.Observability;

namespace ChatOps.Teams.Internal;

/// <summary>
/// The adapter's share of the <c>ChatOps</c> meter: failed Bot Framework calls and the time spent
/// waiting on throttling. The meter is optional (hosts without <c>/metrics</c> do not register it).
/// </summary>
internal sealed class TeamsMetrics(ChatOpsMeter? meter = null)
{
    private static readonly KeyValuePair<string, object?> PlatformTag = new("platform", ResilientHttp.Platform);

    /// <summary>One failed attempt of a connector or token call; <paramref name="error"/> is the HTTP status or <c>network</c> / <c>timeout</c>.</summary>
    public void ApiError(string error) => meter?.ChatApiErrors.Add(1, PlatformTag, new KeyValuePair<string, object?>("error", error));

    /// <summary>A wait the connector asked for (429, Retry-After).</summary>
    public void RateLimitWait(TimeSpan wait) => meter?.ChatRateLimitWaits.Record(wait.TotalSeconds, PlatformTag);
}
