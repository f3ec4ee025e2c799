using System.Globalization;

namespace ChatOps.Agent;

/// <summary>Reads the chatops-agent command line (and the environment variables it stands in for).</summary>
internal static class AgentCommandLine
{
    public const string TokenVariable = "CHATOPS_AGENT_TOKEN";
    public const string TokenFileVariable = "CHATOPS_AGENT_TOKEN_FILE";
    public const string ServerVariable = "CHATOPS_AGENT_SERVER";
    public const string ServerIdVariable = "CHATOPS_AGENT_SERVER_ID";
    public const string CaFileVariable = "CHATOPS_AGENT_CA_FILE";
    public const string ClientCertVariable = "CHATOPS_AGENT_CLIENT_CERT";
    public const string ClientKeyVariable = "CHATOPS_AGENT_CLIENT_KEY";
    public const string ServerCertSha256Variable = "CHATOPS_AGENT_SERVER_CERT_SHA256";
    public const string LogFormatVariable = "CHATOPS_AGENT_LOG_FORMAT";
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public const string Usage = """
        chatops-agent: runs allowlisted actions on this server for the ChatOps gateway.

        Usage:
          chatops-agent --server URL --server-id ID (--token TOKEN | --token-file FILE) [options]
          chatops-agent --check-allowlist FILE
          chatops-agent --help

        Options:
          --server URL            gateway agent endpoint, e.g. ws://127.0.0.1:8080/agents/connect
                                  (env CHATOPS_AGENT_SERVER)
          --server-id ID          the server id this agent's token is bound to, e.g. web-3
                                  (env CHATOPS_AGENT_SERVER_ID)
          --token TOKEN           agent token; visible in the process list, so prefer:
          --token-file FILE       a file holding the token (env CHATOPS_AGENT_TOKEN_FILE),
                                  or the env variable CHATOPS_AGENT_TOKEN
          --allowlist FILE        allowlist JSON (default: allowlist.default.json beside the agent)
          --state FILE            state file: seen command ids and fencing token
                                  (default: chatops-agent-ID.state.json in the current folder)
          --max-output-bytes N    output sent per command (default 1048576)
          --max-concurrent N      commands run at once (default 4)
          --workdir DIR           folder commands start in (default /)
          --ca-file FILE          PEM CA certificates trusted for the gateway's certificate
                                  instead of the system store (env CHATOPS_AGENT_CA_FILE)
          --client-cert FILE      PEM client certificate for mutual TLS (env CHATOPS_AGENT_CLIENT_CERT)
          --client-key FILE       its PEM private key (env CHATOPS_AGENT_CLIENT_KEY)
          --server-cert-sha256 H  accept only the gateway certificate with this SHA-256
                                  (env CHATOPS_AGENT_SERVER_CERT_SHA256)
          --log-format FORMAT     text (default) or json, with trace ids (env CHATOPS_AGENT_LOG_FORMAT)
          --otlp-endpoint URL     export traces over OTLP (env OTEL_EXPORTER_OTLP_ENDPOINT)
          --check-allowlist FILE  check an allowlist file, print its actions, and exit
          -h, --help              show this text

        Exit codes: 0 stopped normally, 2 bad configuration, 1 unexpected failure.
        """;

    public static CommandLine Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var problems = new List<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
            {
                return new CommandLine(CommandLineMode.Help, null, null, []);
            }

            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = arg.StartsWith("--", StringComparison.Ordinal) && equals > 0 ? arg[..equals] : arg;
            if (!KnownFlags.Contains(name))
            {
                problems.Add($"unknown argument '{LogText.Quote(arg)}' (see --help)");
                continue;
            }

            string value;
            if (equals > 0 && name != arg)
            {
                value = arg[(equals + 1)..];
            }
            else if (i + 1 < args.Count)
            {
                value = args[++i];
            }
            else
            {
                problems.Add($"{name} needs a value");
                continue;
            }

            if (!values.TryAdd(name, value))
            {
                problems.Add($"{name} is given twice");
            }
        }

        if (values.TryGetValue("--check-allowlist", out var allowlistToCheck))
        {
            return new CommandLine(CommandLineMode.CheckAllowlist, null, allowlistToCheck, problems);
        }

        var options = new AgentOptions
        {
            ServerUrl = values.GetValueOrDefault("--server") ?? environment(ServerVariable) ?? "",
            ServerId = values.GetValueOrDefault("--server-id") ?? environment(ServerIdVariable) ?? "",
            AllowlistPath = values.GetValueOrDefault("--allowlist"),
            StatePath = values.GetValueOrDefault("--state"),
            WorkingDirectory = values.GetValueOrDefault("--workdir"),
            Token = ReadToken(values, environment, problems),
            CaFile = values.GetValueOrDefault("--ca-file") ?? NonEmpty(environment(CaFileVariable)),
            ClientCertificateFile = values.GetValueOrDefault("--client-cert") ?? NonEmpty(environment(ClientCertVariable)),
            ClientKeyFile = values.GetValueOrDefault("--client-key") ?? NonEmpty(environment(ClientKeyVariable)),
            ServerCertificateSha256 = values.GetValueOrDefault("--server-cert-sha256") ?? NonEmpty(environment(ServerCertSha256Variable)),
            LogFormat = (values.GetValueOrDefault("--log-format") ?? NonEmpty(environment(LogFormatVariable)) ?? "text").ToLowerInvariant(),
            OtlpEndpoint = values.GetValueOrDefault("--otlp-endpoint") ?? NonEmpty(environment(OtlpEndpointVariable)),
        };

        if (values.TryGetValue("--max-output-bytes", out var maxOutput))
        {
            if (long.TryParse(maxOutput, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes))
            {
                options.MaxOutputBytes = bytes;
            }
            else
            {
                problems.Add($"{nameof(AgentOptions.MaxOutputBytes)} (--max-output-bytes): '{LogText.Quote(maxOutput)}' is not a whole number");
            }
        }

        if (values.TryGetValue("--max-concurrent", out var maxConcurrent))
        {
            if (int.TryParse(maxConcurrent, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            {
                options.MaxConcurrent = count;
            }
            else
            {
                problems.Add($"{nameof(AgentOptions.MaxConcurrent)} (--max-concurrent): '{LogText.Quote(maxConcurrent)}' is not a whole number");
            }
        }

        return new CommandLine(CommandLineMode.Run, options, null, problems);
    }

    private static readonly HashSet<string> KnownFlags = new(StringComparer.Ordinal)
    {
        "--server", "--server-id", "--token", "--token-file", "--allowlist", "--state",
        "--max-output-bytes", "--max-concurrent", "--workdir", "--check-allowlist",
        "--ca-file", "--client-cert", "--client-key", "--server-cert-sha256", "--log-format", "--otlp-endpoint",
    };

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static string ReadToken(Dictionary<string, string> values, Func<string, string?> environment, List<string> problems)
    {
        var hasToken = values.TryGetValue("--token", out var token);
        var hasFile = values.TryGetValue("--token-file", out var file);
        if (hasToken && hasFile)
        {
            problems.Add($"{nameof(AgentOptions.Token)}: give --token or --token-file, not both");
            return "";
        }

        if (hasToken)
        {
            return token!;
        }

        file ??= environment(TokenFileVariable);
        if (!hasFile && environment(TokenVariable) is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment;
        }

        if (string.IsNullOrEmpty(file))
        {
            return "";
        }

        try
        {
            // Secret files usually end with a newline; the token itself never contains whitespace.
            return File.ReadAllText(file).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            problems.Add($"{nameof(AgentOptions.Token)} (--token-file): cannot read {file}: {e.Message}");
            return "";
        }
    }
}

internal enum CommandLineMode
{
    Run,
    Help,
    CheckAllowlist,
}

/// <summary>What the command line asks for; <see cref="Problems"/> are reported together with option problems.</summary>
internal sealed record CommandLine(CommandLineMode Mode, AgentOptions? Options, string? AllowlistToCheck, IReadOnlyList<string> Problems);
