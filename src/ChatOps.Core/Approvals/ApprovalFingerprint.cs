using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ChatOps.Core.Domain;

namespace ChatOps.Core.Approvals;

/// <summary>
/// The SHA-256 an approval is bound to. Input: the target expression, then for each server (in
/// ordinal order) the server id, command name, agent action and every argument (ordinal order by
/// name). Every field is length-prefixed, so no two different commands share an input.
/// </summary>
public static class ApprovalFingerprint
{
    private const string Version = "chatops-approval-v1";

    public static string Compute(string target, IEnumerable<CommandRecord> commands)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(commands);
        var text = new StringBuilder();
        Field(text, Version);
        Field(text, target);
        foreach (var command in commands.OrderBy(c => c.ServerId, StringComparer.Ordinal))
        {
            Field(text, command.ServerId);
            Field(text, command.CommandName);
            Field(text, command.Action ?? "");
            Field(text, command.Args.Count.ToString(CultureInfo.InvariantCulture));
            foreach (var (name, value) in command.Args.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                Field(text, name);
                Field(text, value);
            }
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>True when <paramref name="commands"/> are exactly what <paramref name="approval"/> was requested for.</summary>
    public static bool Matches(ApprovalRequest approval, IReadOnlyCollection<CommandRecord> commands)
    {
        ArgumentNullException.ThrowIfNull(approval);
        ArgumentNullException.ThrowIfNull(commands);
        var servers = commands.Select(c => c.ServerId).Order(StringComparer.Ordinal);
        if (!servers.SequenceEqual(approval.Servers.Order(StringComparer.Ordinal), StringComparer.Ordinal)) return false;
        var actual = Encoding.ASCII.GetBytes(Compute(approval.Target, commands));
        return CryptographicOperations.FixedTimeEquals(actual, Encoding.ASCII.GetBytes(approval.Fingerprint));
    }

    /// <summary>The first 12 hex digits, shown in prompts so people can compare what they approve.</summary>
    public static string Short(string fingerprint) => fingerprint.Length <= 12 ? fingerprint : fingerprint[..12];

    private static void Field(StringBuilder text, string value) =>
        text.Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value).Append('\n');
}
