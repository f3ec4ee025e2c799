using System.Security.Cryptography;
using System.Text;

namespace ChatOps.Core.Agents;

/// <summary>
/// The two HMAC-SHA256 keys of one agent: one for frames the gateway sends (<see cref="ToAgent"/>), one for
/// frames the agent sends (<see cref="ToGateway"/>), so a frame can never be reflected back to its sender.
/// </summary>
/// <remarks>
/// Both sides derive them from the agent's token and its server id with a fixed label; no key crosses the
/// wire. The agent has its token; the gateway has it for a moment as the bearer it just verified at the
/// upgrade, derives the keys then, and keeps only them for the connection's life.
/// Deriving from the token rather than from the SHA-256 the credential store keeps is deliberate: the hash
/// sits in the database (and its backups), so anyone who could read those could sign frames for every
/// agent; the token itself is stored nowhere on the server. The price: only the gateway node that accepted
/// the connection can sign for it (a router cannot sign end to end), which is where dispatches are sent
/// from anyway. The server id is in the derivation, so one agent's key never verifies as another's.
/// </remarks>
public sealed record AgentFrameKeys(AgentFrameKey ToAgent, AgentFrameKey ToGateway)
{
    private const string Label = "chatops agent frame key v2";

    public static AgentFrameKeys Derive(string token, string serverId)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentException.ThrowIfNullOrEmpty(serverId);
        var secret = Encoding.UTF8.GetBytes(token);
        try
        {
            return new AgentFrameKeys(
                new AgentFrameKey(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes($"{Label}\nto-agent\n{serverId}"))),
                new AgentFrameKey(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes($"{Label}\nto-gateway\n{serverId}"))));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }
}

/// <summary>One direction's HMAC-SHA256 key. It never leaves the process and is not printed.</summary>
public sealed class AgentFrameKey
{
    public const int MacBytes = HMACSHA256.HashSizeInBytes;

    private readonly byte[] _key;

    internal AgentFrameKey(byte[] key) => _key = key;

    /// <summary>The MAC of <paramref name="data"/>.</summary>
    public byte[] Compute(ReadOnlySpan<byte> data) => HMACSHA256.HashData(_key, data);

    /// <summary>Whether <paramref name="mac"/> is the MAC of <paramref name="data"/>, compared in constant time.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> mac)
    {
        Span<byte> expected = stackalloc byte[MacBytes];
        HMACSHA256.HashData(_key, data, expected);
        return mac.Length == MacBytes && CryptographicOperations.FixedTimeEquals(expected, mac);
    }

    public override string ToString() => "AgentFrameKey(hidden)";
}
