using Microsoft.Extensions.Configuration;

namespace ChatOps.Server.Hosting;

/// <summary>
/// The top-level settings under <c>ChatOps:</c>, read once at start. <see cref="Errors"/> lists every
/// problem at once, each naming its key, so one start-up tells an operator everything to fix.
/// </summary>
public sealed class ChatOpsSettings
{
    public static readonly IReadOnlyList<string> KnownServices =
        ["chat", "router", "agent-gateway", "metrics", "alerts", "notifications", "scheduler", "web"];

    public required IReadOnlySet<string> Services { get; init; }
    public required string Bus { get; init; }
    public required string State { get; init; }
    public required string Store { get; init; }
    public required string SqlitePath { get; init; }
    public string? BootstrapApiKey { get; init; }
    public IReadOnlyList<string> BootstrapAdmins { get; init; } = [];
    public bool LocalAgentEnabled { get; init; }
    public string LocalAgentAllowlist { get; init; } = "";

    /// <summary>Messages per user per minute on the built-in chat API (<c>ChatOps:Chat:RateLimitPerMinute</c>).</summary>
    public int ChatRateLimitPerMinute { get; init; } = 120;
    public required IReadOnlyList<string> Errors { get; init; }

    public bool Runs(string service) => Services.Contains(service);

    public static ChatOpsSettings Read(IConfiguration configuration)
    {
        var errors = new List<string>();
        var section = configuration.GetSection("ChatOps");

        var servicesText = section["Services"];
        var services = string.IsNullOrWhiteSpace(servicesText) || servicesText.Trim() == "all"
            ? KnownServices.ToHashSet()
            : servicesText.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        foreach (var unknown in services.Except(KnownServices))
            errors.Add($"ChatOps:Services names an unknown service '{unknown}' (known: {string.Join(", ", KnownServices)}, or all)");

        var bus = Choice(section, "Bus", "memory", ["memory", "kafka"], errors);
        var state = Choice(section, "State", "memory", ["memory", "redis"], errors);
        var store = Choice(section, "Store", "sqlite", ["sqlite", "postgres"], errors);


        var sqlitePath = section["Sqlite:Path"] is { Length: > 0 } path ? path : Path.Combine("data", "chatops.db");

        var apiKey = SecretValue(section, "Bootstrap:ApiKey", errors);
        if (apiKey is not null && apiKey.Length < 16)
            errors.Add("ChatOps:Bootstrap:ApiKey must be at least 16 characters");

        var admins = (section["Bootstrap:Admins"] ?? "")
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var admin in admins.Where(a => !a.StartsWith("slack:", StringComparison.Ordinal) && !a.StartsWith("teams:", StringComparison.Ordinal)))
            errors.Add($"ChatOps:Bootstrap:Admins entry '{admin}' must look like slack:<user id> or teams:<AAD object id>");

        var localAgent = section["LocalAgent:Enabled"] is not { } enabledText || bool.TryParse(enabledText, out var enabled) && enabled;
        if (section["LocalAgent:Enabled"] is { } text && !bool.TryParse(text, out _))
            errors.Add($"ChatOps:LocalAgent:Enabled must be true or false (got '{text}')");

        var chatLimit = 120;
        if (section["Chat:RateLimitPerMinute"] is { } limitText && (!int.TryParse(limitText, out chatLimit) || chatLimit < 1))
            errors.Add($"ChatOps:Chat:RateLimitPerMinute must be a whole number of at least 1 (got '{limitText}')");

        return new ChatOpsSettings
        {
            ChatRateLimitPerMinute = chatLimit,
            Services = services,
            Bus = bus,
            State = state,
            Store = store,
            SqlitePath = sqlitePath,
            BootstrapApiKey = apiKey,
            BootstrapAdmins = admins,
            LocalAgentEnabled = localAgent && services.Contains("agent-gateway"),
            LocalAgentAllowlist = section["LocalAgent:Allowlist"] ?? Path.Combine(AppContext.BaseDirectory, "allowlist.default.json"),
            Errors = errors,
        };
    }

    private static string Choice(IConfigurationSection section, string key, string fallback, string[] allowed, List<string> errors)
    {
        var value = section[key];
        if (string.IsNullOrWhiteSpace(value)) return fallback;
        value = value.Trim().ToLowerInvariant();
        if (!allowed.Contains(value)) errors.Add($"ChatOps:{key} must be one of {string.Join(", ", allowed)} (got '{section[key]}')");
        return value;
    }

    /// <summary>A secret from <c>Key</c> or from the file named by <c>Key_FILE</c> (Kubernetes secrets).</summary>
    internal static string? SecretValue(IConfigurationSection section, string key, List<string> errors)
    {
        if (section[key + "_FILE"] is { Length: > 0 } file)
        {
            if (!File.Exists(file))
            {
                errors.Add($"ChatOps:{key}_FILE points at '{file}', which does not exist");
                return null;
            }

            return File.ReadAllText(file).Trim();
        }

        return section[key] is { Length: > 0 } value ? value : null;
    }
}
