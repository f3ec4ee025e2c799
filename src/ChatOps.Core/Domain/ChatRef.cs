namespace ChatOps.Core.Domain;

/// <summary>
/// Where a conversation lives, so replies find their way back: the platform (<c>web</c>,
/// <c>slack</c>, <c>teams</c>), its channel, the thread inside it, and whatever else that
/// platform needs to answer (a Slack response_url, a Teams serviceUrl) in <see cref="Extra"/>.
/// </summary>
public sealed record ChatRef(string Platform, string Channel, string? Thread, IReadOnlyDictionary<string, string>? Extra = null)
{
    public string? Get(string key) => Extra is not null && Extra.TryGetValue(key, out var value) ? value : null;
}
