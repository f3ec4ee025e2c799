using System.Globalization;

namespace ChatOps.Agent.Allowlist;

/// <summary>Checks that hold for every value, whatever its type.</summary>
internal static class TextHygiene
{
    /// <summary>Returns why <paramref name="value"/> is unacceptable, or null when it is fine.</summary>
    public static string? FindProblem(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0')
            {
                return "contains a NUL character";
            }

            if (char.IsControl(c))
            {
                return "contains control characters (newlines, tabs, escapes)";
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                return "contains invalid Unicode (a lone surrogate)";
            }

            // Bidi overrides, zero-width and BOM characters make a value display differently from
            // what runs (Trojan Source, CVE-2021-42574).
            if (char.GetUnicodeCategory(c) == UnicodeCategory.Format)
            {
                return "contains invisible or bidirectional formatting characters";
            }
        }

        return null;
    }
}
