using System.Text.RegularExpressions;

namespace ChatOps.Agent;

/// <summary>
/// Settings of one agent. Bind them from configuration or set them in code, then hand them to
/// <see cref="AgentRunner"/>, which validates them (all problems at once, each naming its key).
/// </summary>
public sealed partial class AgentOptions
{
    /// <summary>The gateway's agent endpoint, e.g. <c>ws://127.0.0.1:8080/agents/connect</c> (ws:// or wss://).</summary>
    public string ServerUrl { get; set; } = "";

    /// <summary>The agent token, sent as <c>Authorization: Bearer</c>; it is bound to <see cref="ServerId"/>.</summary>
    public string Token { get; set; } = "";

    /// <summary>The server id this agent speaks for, e.g. <c>web-3</c>.</summary>
    public string ServerId { get; set; } = "";

    /// <summary>The allowlist JSON file; null means <c>allowlist.default.json</c> beside the agent's assembly.</summary>
    public string? AllowlistPath { get; set; }

    /// <summary>Where seen command ids and the highest fencing token are kept; null means <c>chatops-agent-{ServerId}.state.json</c> in the current folder.</summary>
    public string? StatePath { get; set; }

    /// <summary>Output bytes sent per command; beyond, output is read and dropped and a marker is sent.</summary>
    public long MaxOutputBytes { get; set; } = 1024 * 1024;

    /// <summary>Commands run at once; more are refused as busy.</summary>
    public int MaxConcurrent { get; set; } = 4;

    /// <summary>The folder commands start in; null means the file system root.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>The first reconnect delay; it doubles (with jitter) up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long connecting plus the hello/welcome exchange may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>PEM file of the certificate authorities trusted for the gateway's certificate instead of the system store (wss:// only).</summary>
    public string? CaFile { get; set; }

    /// <summary>PEM certificate this agent presents to the gateway (mutual TLS); needs <see cref="ClientKeyFile"/>.</summary>
    public string? ClientCertificateFile { get; set; }

    /// <summary>PEM private key of <see cref="ClientCertificateFile"/>.</summary>
    public string? ClientKeyFile { get; set; }

    /// <summary>
    /// SHA-256 of the gateway's certificate (hex, colons allowed). When set, the gateway must present exactly
    /// that certificate, on top of the usual chain and host name checks.
    /// </summary>
    public string? ServerCertificateSha256 { get; set; }

    /// <summary><c>text</c> (default) or <c>json</c>: the log format of the chatops-agent executable.</summary>
    public string LogFormat { get; set; } = "text";

    /// <summary>OTLP endpoint for the agent's spans (e.g. <c>http://otel-collector:4317</c>); none exported when null.</summary>
    public string? OtlpEndpoint { get; set; }

    internal string ResolvedAllowlistPath => AllowlistPath ?? Path.Combine(AppContext.BaseDirectory, "allowlist.default.json");

    internal string ResolvedStatePath => StatePath ?? Path.GetFullPath($"chatops-agent-{ServerId}.state.json");

    /// <summary>Every problem with these settings, one line each starting with the key; empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(ServerUrl))
        {
            problems.Add($"{nameof(ServerUrl)}: is required, e.g. ws://127.0.0.1:8080/agents/connect");
        }
        else if (!Uri.TryCreate(ServerUrl, UriKind.Absolute, out var url) || (url.Scheme != "ws" && url.Scheme != "wss") || url.UserInfo.Length > 0)
        {
            problems.Add($"{nameof(ServerUrl)}: '{LogText.Quote(ServerUrl)}' is not a ws:// or wss:// URL without credentials, e.g. ws://127.0.0.1:8080/agents/connect");
        }

        if (string.IsNullOrEmpty(Token))
        {
            problems.Add($"{nameof(Token)}: is required (--token, --token-file or CHATOPS_AGENT_TOKEN)");
        }
        else if (Token.Length > 4096 || Token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            problems.Add($"{nameof(Token)}: must be at most 4096 characters without spaces or control characters");
        }

        if (string.IsNullOrEmpty(ServerId))
        {
            problems.Add($"{nameof(ServerId)}: is required, e.g. web-3");
        }
        else if (!ServerIdPattern().IsMatch(ServerId))
        {
            problems.Add($"{nameof(ServerId)}: '{LogText.Quote(ServerId)}' must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit");
        }

        if (!File.Exists(ResolvedAllowlistPath))
        {
            problems.Add($"{nameof(AllowlistPath)}: file {ResolvedAllowlistPath} does not exist");
        }

        // Without a usable server id the default state path is unknown; that problem is reported above.
        if (StatePath is not null || ServerIdPattern().IsMatch(ServerId))
        {
            if (StateFileProblem(ResolvedStatePath) is { } stateProblem)
            {
                problems.Add($"{nameof(StatePath)}: {stateProblem}");
            }
        }

        if (MaxOutputBytes is < 1024 or > 256L * 1024 * 1024)
        {
            problems.Add($"{nameof(MaxOutputBytes)}: {MaxOutputBytes} must be between 1024 and {256L * 1024 * 1024}");
        }

        if (MaxConcurrent is < 1 or > 256)
        {
            problems.Add($"{nameof(MaxConcurrent)}: {MaxConcurrent} must be between 1 and 256");
        }

        if (WorkingDirectory is not null && !Directory.Exists(WorkingDirectory))
        {
            problems.Add($"{nameof(WorkingDirectory)}: folder {WorkingDirectory} does not exist");
        }

        if (ReconnectMinDelay <= TimeSpan.Zero)
        {
            problems.Add($"{nameof(ReconnectMinDelay)}: must be positive");
        }

        if (ReconnectMaxDelay < ReconnectMinDelay)
        {
            problems.Add($"{nameof(ReconnectMaxDelay)}: must not be shorter than {nameof(ReconnectMinDelay)}");
        }

        if (ConnectTimeout <= TimeSpan.Zero)
        {
            problems.Add($"{nameof(ConnectTimeout)}: must be positive");
        }

        problems.AddRange(Connection.AgentTls.Problems(this));

        if (LogFormat is not ("text" or "json"))
        {
            problems.Add($"{nameof(LogFormat)}: '{LogText.Quote(LogFormat)}' must be text or json");
        }

        if (OtlpEndpoint is not null && (!Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var otlp) || otlp.Scheme is not ("http" or "https")))
        {
            problems.Add($"{nameof(OtlpEndpoint)}: '{LogText.Quote(OtlpEndpoint)}' is not an http:// or https:// URL");
        }

        return problems;
    }

    private static string? StateFileProblem(string path)
    {
        try
        {
            var full = Path.GetFullPath(path);
            if (Directory.Exists(full))
            {
                return $"{full} is a folder; give the path of a file";
            }

            var folder = Path.GetDirectoryName(full);
            return folder is null || Directory.Exists(folder) ? null : $"folder {folder} does not exist";
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"'{LogText.Quote(path)}' is not a valid file path";
        }
    }

    internal AgentOptions Copy() => (AgentOptions)MemberwiseClone();

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z", RegexOptions.CultureInvariant)]
    internal static partial Regex ServerIdPattern();
}
