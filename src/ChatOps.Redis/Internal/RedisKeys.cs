using System.Text;
using ChatOps.Core.Ports;

namespace ChatOps.Redis.Internal;

/// <summary>
/// The key names this adapter uses besides the product's (<see cref="StateKeys"/>), and the escaping
/// that keeps <c>ratelimit:{user_id}:{endpoint}</c> unambiguous.
/// </summary>
internal static class RedisKeys
{
    /// <summary>
    /// The sorted set of server ids that have an <c>agent:connections:{server_id}</c> entry, scored by
    /// the entry's expiry (Redis milliseconds), so listing never needs SCAN and drops expired ids by score.
    /// </summary>
    public const string AgentIndex = "agent:connections";

    /// <summary>
    /// <c>lock:fence:{server_id}</c>: the last fencing token granted on a server's lock. Kept apart from
    /// the lock key (and without TTL) so tokens keep growing across expiry and release.
    /// </summary>
    public static string LockFence(string serverId) => "lock:fence:" + serverId;

    /// <summary>
    /// <c>ratelimit:{user_id}:{endpoint}</c> with both parts escaped: <c>%</c> becomes <c>%25</c> and
    /// <c>:</c> becomes <c>%3A</c>. Without that, user <c>a:b</c> on endpoint <c>c</c> and user <c>a</c>
    /// on endpoint <c>b:c</c> would share one counter (chat identities such as <c>slack:T1/U2</c> do
    /// contain colons). Ids without those two characters keep their plain names.
    /// </summary>
    public static string RateLimit(string userId, string endpoint) =>
        StateKeys.RateLimit(Escape(userId), Escape(endpoint));

    private static string Escape(string part)
    {
        if (part.IndexOfAny([':', '%']) < 0)
        {
            return part;
        }

        var escaped = new StringBuilder(part.Length + 8);
        foreach (var c in part)
        {
            escaped.Append(c switch
            {
                '%' => "%25",
                ':' => "%3A",
                _ => c.ToString(),
            });
        }

        return escaped.ToString();
    }
}
