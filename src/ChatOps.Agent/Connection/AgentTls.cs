using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace ChatOps.Agent.Connection;

/// <summary>
/// How the agent checks the gateway and proves itself over <c>wss://</c>: the gateway's certificate must
/// chain to the system store or, with <see cref="AgentOptions.CaFile"/>, to those authorities only; its
/// host name must match; with <see cref="AgentOptions.ServerCertificateSha256"/> it must be exactly that
/// certificate. Nothing here ever accepts an arbitrary certificate. With a client certificate the agent
/// also presents it, for gateways that pin agents' certificates.
/// </summary>
internal sealed class AgentTls
{
    public static readonly AgentTls SystemDefaults = new(null, null, null, null);

    private readonly X509Certificate2Collection? _authorities;
    private readonly byte[]? _pinnedServerSha256;
    private readonly ILogger? _logger;

    private AgentTls(X509Certificate2Collection? authorities, X509Certificate2? clientCertificate, byte[]? pinnedServerSha256, ILogger? logger)
    {
        _authorities = authorities;
        ClientCertificate = clientCertificate;
        _pinnedServerSha256 = pinnedServerSha256;
        _logger = logger;
    }

    public X509Certificate2? ClientCertificate { get; }

    /// <summary>True when the platform's own validation is replaced by <see cref="Validate"/>.</summary>
    public bool CustomValidation => _authorities is not null || _pinnedServerSha256 is not null;

    /// <summary>Problems with the TLS options that need no file reads beyond existence, one line each naming its key.</summary>
    public static IEnumerable<string> Problems(AgentOptions options)
    {
        var any = options.CaFile is not null || options.ClientCertificateFile is not null || options.ClientKeyFile is not null || options.ServerCertificateSha256 is not null;
        if (any && Uri.TryCreate(options.ServerUrl, UriKind.Absolute, out var url) && url.Scheme != "wss")
        {
            yield return $"{nameof(AgentOptions.ServerUrl)}: TLS options (CA file, client certificate, pinned server certificate) need a wss:// URL";
        }

        foreach (var (key, file) in new[] { (nameof(AgentOptions.CaFile), options.CaFile), (nameof(AgentOptions.ClientCertificateFile), options.ClientCertificateFile), (nameof(AgentOptions.ClientKeyFile), options.ClientKeyFile) })
        {
            if (file is not null && !File.Exists(file))
            {
                yield return $"{key}: file {file} does not exist";
            }
        }

        if ((options.ClientCertificateFile is null) != (options.ClientKeyFile is null))
        {
            yield return $"{nameof(AgentOptions.ClientCertificateFile)}: a client certificate needs both the certificate and its key file (--client-cert and --client-key)";
        }

        if (options.ServerCertificateSha256 is not null && ParseSha256(options.ServerCertificateSha256) is null)
        {
            yield return $"{nameof(AgentOptions.ServerCertificateSha256)}: must be 64 hexadecimal digits (colons allowed), the SHA-256 of the gateway's certificate";
        }
    }

    /// <summary>Reads the files named by validated options; throws <see cref="AgentStartupException"/> when one cannot be used.</summary>
    public static AgentTls Load(AgentOptions options, ILogger logger)
    {
        var problems = new List<string>();
        X509Certificate2Collection? authorities = null;
        X509Certificate2? client = null;
        if (options.CaFile is not null)
        {
            try
            {
                authorities = [];
                authorities.ImportFromPemFile(options.CaFile);
                if (authorities.Count == 0)
                {
                    problems.Add($"{nameof(AgentOptions.CaFile)}: {options.CaFile} holds no PEM certificate");
                }
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                problems.Add($"{nameof(AgentOptions.CaFile)}: cannot read {options.CaFile}: {e.Message}");
            }
        }

        if (options.ClientCertificateFile is not null && options.ClientKeyFile is not null)
        {
            try
            {
                client = X509Certificate2.CreateFromPemFile(options.ClientCertificateFile, options.ClientKeyFile);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                problems.Add($"{nameof(AgentOptions.ClientCertificateFile)}: cannot load {options.ClientCertificateFile} with key {options.ClientKeyFile}: {e.Message}");
            }
        }

        if (problems.Count > 0)
        {
            throw new AgentStartupException(problems);
        }

        var pin = options.ServerCertificateSha256 is { } text ? ParseSha256(text) : null;
        return new AgentTls(authorities, client, pin, logger);
    }

    /// <summary>The SHA-256 thumbprint of a certificate, as lowercase hex (the form pins are written in).</summary>
    public static string Sha256Hex(X509Certificate certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.GetRawCertData()));

    /// <summary>Applies these settings to a WebSocket about to connect.</summary>
    public void Apply(ClientWebSocketOptions socket)
    {
        if (ClientCertificate is not null)
        {
            socket.ClientCertificates = [ClientCertificate];
        }

        if (CustomValidation)
        {
            socket.RemoteCertificateValidationCallback = Validate;
        }
    }

    internal bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return Refuse("the gateway presented no certificate");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return Refuse("the gateway's certificate is not for this host name");
        }

        if (_authorities is not null)
        {
            using var custom = new X509Chain();
            custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            custom.ChainPolicy.CustomTrustStore.AddRange(_authorities);
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (chain is not null)
            {
                // Intermediates the gateway sent along.
                foreach (var element in chain.ChainElements)
                {
                    custom.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }

            using var leaf = new X509Certificate2(certificate);
            if (!custom.Build(leaf))
            {
                var status = string.Join(", ", custom.ChainStatus.Select(s => s.Status));
                return Refuse($"the gateway's certificate does not chain to the configured CA file ({status})");
            }
        }
        else if (errors != SslPolicyErrors.None)
        {
            return Refuse($"the gateway's certificate is not trusted ({errors})");
        }

        if (_pinnedServerSha256 is not null && !CryptographicOperations.FixedTimeEquals(SHA256.HashData(certificate.GetRawCertData()), _pinnedServerSha256))
        {
            return Refuse($"the gateway's certificate {Sha256Hex(certificate)} is not the pinned one");
        }

        return true;
    }

    private bool Refuse(string why)
    {
        _logger?.LogError("refusing the gateway's TLS certificate: {Reason}", why);
        return false;
    }

    private static byte[]? ParseSha256(string text)
    {
        var hex = text.Replace(":", "", StringComparison.Ordinal).Trim();
        if (hex.Length != 64)
        {
            return null;
        }

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
