using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace ChatOps.Server.Agents;

/// <summary>
/// Mutual TLS for agents, pinned per server: <c>ChatOps:Gateway:ClientCertificates:Pins:{serverId}</c> holds
/// the SHA-256 of the one client certificate that server's agent may present, and
/// <c>ChatOps:Gateway:ClientCertificates:Required=true</c> refuses every agent without a pinned, matching
/// certificate. The pin, not a CA, is the trust: agents may use self-signed certificates, so TLS accepts
/// any client certificate and <c>/agents/connect</c> checks it against the pin of the server id its token
/// is bound to, before the WebSocket upgrade. Pins are configuration (thumbprints are not secrets).
/// </summary>
public sealed class AgentClientCertificates
{
    public const string Section = "ChatOps:Gateway:ClientCertificates";

    private readonly Dictionary<string, byte[]> _pins;

    private AgentClientCertificates(bool required, Dictionary<string, byte[]> pins)
    {
        Required = required;
        _pins = pins;
    }

    public bool Required { get; }

    /// <summary>Whether TLS must ask agents for a certificate at all.</summary>
    public bool Enabled => Required || _pins.Count > 0;

    public static AgentClientCertificates Read(IConfiguration configuration, List<string> errors)
    {
        var section = configuration.GetSection(Section);
        var required = false;
        if (section["Required"] is { Length: > 0 } text && !bool.TryParse(text, out required))
            errors.Add($"{Section}:Required must be true or false (got '{text}')");

        var pins = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var pin in section.GetSection("Pins").GetChildren())
        {
            if (Parse(pin.Value) is { } hash) pins[pin.Key] = hash;
            else errors.Add($"{Section}:Pins:{pin.Key} must be the SHA-256 of the agent's certificate: 64 hexadecimal digits, colons allowed");
        }

        return new AgentClientCertificates(required, pins);
    }

    /// <summary>Null when the agent of <paramref name="serverId"/> may connect with <paramref name="certificate"/>, else why not.</summary>
    public string? Check(string serverId, X509Certificate2? certificate)
    {
        var pinned = _pins.GetValueOrDefault(serverId);
        if (pinned is null)
            return Required ? $"no client certificate is pinned for server '{serverId}' and one is required" : null;
        if (certificate is null)
            return $"server '{serverId}' has a pinned client certificate, and none was presented";
        var presented = SHA256.HashData(certificate.RawData);
        return CryptographicOperations.FixedTimeEquals(presented, pinned)
            ? null
            : $"the client certificate {Convert.ToHexStringLower(presented)} is not the one pinned for server '{serverId}'";
    }

    /// <summary>Asks TLS clients for a certificate (optional at the TLS layer; the pin check decides, per agent).</summary>
    public void ConfigureKestrel(WebApplicationBuilder builder)
    {
        if (!Enabled) return;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
        {
            https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
            // Self-signed agent certificates are expected: the exact certificate is checked against its pin.
            https.ClientCertificateValidation = (_, _, _) => true;
        }));
    }

    private static byte[]? Parse(string? text)
    {
        var hex = (text ?? "").Replace(":", "", StringComparison.Ordinal).Trim();
        if (hex.Length != 64) return null;
        try
        {
            return Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
