using System.Security.Cryptography;
using System.Text;

namespace ChatOps.Core.Alerts;

/// <summary>
/// The identity of an alert across its occurrences: rule + server + labels, hashed to 16 hex
/// characters. Labels are sorted, so their order in a sample never matters.
/// </summary>
public static class AlertFingerprint
{
    /// <summary>The label a no-data alert carries, so it never shares a fingerprint with a threshold alert.</summary>
    public const string NoDataLabel = "alert_condition";

    public static string Of(string ruleName, string serverId, IReadOnlyDictionary<string, string>? labels)
    {
        ArgumentException.ThrowIfNullOrEmpty(ruleName);
        ArgumentException.ThrowIfNullOrEmpty(serverId);
        var text = new StringBuilder().Append(ruleName).Append('\n').Append(serverId);
        foreach (var (key, value) in (labels ?? new Dictionary<string, string>()).OrderBy(pair => pair.Key, StringComparer.Ordinal))
            text.Append('\n').Append(key).Append('=').Append(value);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    public static IReadOnlyDictionary<string, string> NoDataLabels { get; } = new Dictionary<string, string> { [NoDataLabel] = "no_data" };
}
