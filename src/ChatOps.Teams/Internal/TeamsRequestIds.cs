using System.Security.Cryptography;
using System.Text;

namespace ChatOps.Teams.Internal;

/// <summary>
/// The ChatOps request id of a Teams activity. The Bot Framework retries an activity with the same id,
/// so the request id is derived from it (and its conversation, where activity ids are unique): a retry
/// becomes the same command, which the router creates only once. Short, because people type it
/// (<c>cancel t4kq…</c>).
/// </summary>
internal static class TeamsRequestIds
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    public static string For(string conversationId, string activityId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"teams\n{conversationId}\n{activityId}"));
        var id = new char[10];
        id[0] = 't';
        for (var i = 1; i < id.Length; i++) id[i] = Alphabet[hash[i] & 31];
        return new string(id);
    }
}
