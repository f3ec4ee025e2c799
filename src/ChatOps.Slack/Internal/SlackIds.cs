using System.Security.Cryptography;
using System.Text;

namespace ChatOps.Slack.Internal;

/// <summary>
/// Shapes of Slack ids, and the request ids we derive from Slack's own delivery ids so that a
/// redelivered or replayed request maps to the same ChatOps request (and so runs at most once).
/// </summary>
internal static class SlackIds
{
    private const string Base32 = "abcdefghijklmnopqrstuvwxyz234567";

    /// <summary>U… or W… (Enterprise Grid) followed by upper-case letters and digits.</summary>
    public static bool IsUserId(string? id) => IsId(id, 'U') || IsId(id, 'W');

    /// <summary>T… (workspace) or E… (Enterprise Grid org).</summary>
    public static bool IsTeamId(string? id) => IsId(id, 'T') || IsId(id, 'E');

    /// <summary>C… (public), G… (private), D… (direct message).</summary>
    public static bool IsChannelId(string? id) => IsId(id, 'C') || IsId(id, 'G') || IsId(id, 'D');

    /// <summary>A message timestamp such as <c>1503435956.000247</c>.</summary>
    public static bool IsTs(string? ts) =>
        ts is { Length: > 2 and <= 32 } && ts.All(c => char.IsAsciiDigit(c) || c == '.') && ts.Count(c => c == '.') <= 1;

    /// <summary>A ChatOps command id as carried on a button (letters, digits, '-', '_').</summary>
    public static bool IsCommandId(string? id) =>
        id is { Length: > 0 and <= 64 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>
    /// A short, stable request id for a Slack delivery id (trigger_id, event_id): the same input
    /// always gives the same id, and ids of different kinds never collide (the kind is hashed in).
    /// Ten base32 characters: longer than the eight of random ids, so the two never meet.
    /// </summary>
    public static string RequestId(string kind, string team, string deliveryId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"slack:{kind}:{team}:{deliveryId}"));
        var chars = new char[10];
        for (var i = 0; i < chars.Length; i++) chars[i] = Base32[hash[i] & 31];
        return new string(chars);
    }

    private static bool IsId(string? id, char prefix) =>
        id is { Length: >= 3 and <= 32 } && id[0] == prefix && id.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c));
}
