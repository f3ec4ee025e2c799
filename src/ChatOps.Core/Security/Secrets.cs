using System.Security.Cryptography;
using System.Text;

namespace ChatOps.Core.Security;

/// <summary>Token generation and hashing. Tokens are random enough that a plain SHA-256 is the right hash.</summary>
public static class Secrets
{
    private const string Base32 = "abcdefghijklmnopqrstuvwxyz234567";

    /// <summary>A 256-bit random token as URL-safe text, for agent tokens and API keys.</summary>
    public static string NewToken(string prefix) =>
        prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Lowercase hex SHA-256 of the token's UTF-8 bytes: what the store keeps.</summary>
    public static string Hash(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>A short, readable, random id such as <c>k3f9x2ab</c>, used as <c>#id</c> in chat.</summary>
    public static string NewShortId(int length = 8)
    {
        Span<byte> bytes = stackalloc byte[length];
        RandomNumberGenerator.Fill(bytes);
        var chars = new char[length];
        for (var i = 0; i < length; i++) chars[i] = Base32[bytes[i] & 31];
        return new string(chars);
    }
}
