using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ChatOps.Slack;

/// <summary>Why a request was or was not accepted as coming from Slack.</summary>
public enum SlackSignatureResult
{
    Valid,
    MissingHeaders,
    MalformedTimestamp,
    MalformedSignature,
    Stale,
    Mismatch,
}

/// <summary>
/// Slack's v0 request signing: <c>v0=hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" + raw body))</c>,
/// compared in constant time, with a timestamp no further than five minutes from now in either
/// direction (so a captured request cannot be replayed later).
/// </summary>
public sealed class SlackSignatureVerifier
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private const string Version = "v0";
    private const int SignatureLength = 3 + 64; // "v0=" + 64 hex characters

    private readonly byte[] _key;
    private readonly TimeProvider _time;

    public SlackSignatureVerifier(string signingSecret, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(signingSecret);
        ArgumentNullException.ThrowIfNull(time);
        // The secret is used as its UTF-8 bytes, not hex- or base64-decoded (Slack's example secret is not hex).
        _key = Encoding.UTF8.GetBytes(signingSecret);
        _time = time;
    }

    /// <param name="timestamp">The <c>X-Slack-Request-Timestamp</c> header.</param>
    /// <param name="signature">The <c>X-Slack-Signature</c> header.</param>
    /// <param name="body">The raw request body, exactly as received.</param>
    public SlackSignatureResult Verify(string? timestamp, string? signature, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature)) return SlackSignatureResult.MissingHeaders;
        if (timestamp.Length > 12 || !timestamp.All(char.IsAsciiDigit)
            || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            return SlackSignatureResult.MalformedTimestamp;
        if (signature.Length != SignatureLength || !signature.StartsWith(Version + "=", StringComparison.Ordinal)
            || !signature.Skip(3).All(char.IsAsciiHexDigit))
            return SlackSignatureResult.MalformedSignature;

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (Math.Abs(now - seconds) > (long)Window.TotalSeconds) return SlackSignatureResult.Stale;

        var expected = Encoding.ASCII.GetBytes(Compute(_key, timestamp, body));
        var presented = Encoding.ASCII.GetBytes(signature.ToLowerInvariant());
        return CryptographicOperations.FixedTimeEquals(expected, presented) ? SlackSignatureResult.Valid : SlackSignatureResult.Mismatch;
    }

    /// <summary>The signature Slack would send for this body (also what tests and Socket-less tools sign with).</summary>
    public static string Sign(string signingSecret, string timestamp, ReadOnlySpan<byte> body) =>
        Compute(Encoding.UTF8.GetBytes(signingSecret), timestamp, body);

    private static string Compute(byte[] key, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.ASCII.GetBytes($"{Version}:{timestamp}:");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return Version + "=" + Convert.ToHexStringLower(HMACSHA256.HashData(key, message));
    }
}
