using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace ChatOps.Core.Commands;

/// <summary>
/// The first thing that reads command text. Rejects characters that make text display
/// differently from what it is (Trojan Source, CVE-2021-42574): direction controls, invisible
/// and zero-width characters, control characters. Then normalises (NFKC to ASCII, so fullwidth
/// <c>ｒｅｓｔａｒｔ</c> becomes <c>restart</c>). Names (commands, server ids, actions) must be
/// ASCII afterwards, so a confusable such as <c>restаrt</c> with a Cyrillic а never matches.
/// </summary>
public static class TextHygiene
{
    /// <summary>
    /// Checks raw command text and returns it normalised. Positions in <paramref name="error"/>
    /// count characters (code points) from 1.
    /// </summary>
    public static bool TryNormalize(string? raw, out string normalized, [NotNullWhen(false)] out string? error)
    {
        raw ??= "";
        var position = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            position++;
            var c = raw[i];
            int codePoint = c;
            if (char.IsHighSurrogate(c) && i + 1 < raw.Length && char.IsLowSurrogate(raw[i + 1]))
            {
                codePoint = char.ConvertToUtf32(c, raw[i + 1]);
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                normalized = "";
                error = $"Command text contains a broken character ({EscapeCodePoint(c)}) at position {position}; retype it.";
                return false;
            }

            var problem = Classify(codePoint);
            if (problem is not null)
            {
                normalized = "";
                var advice = problem == LineBreak ? "put the command on one line" : "retype it";
                error = $"Command text contains {problem} ({EscapeCodePoint(codePoint)}) at position {position}; {advice}.";
                return false;
            }
        }

        normalized = CompatibilityFolding.Fold(raw);
        error = null;
        return true;
    }

    /// <summary>
    /// Renders control, direction-changing, invisible and other non-printable characters as
    /// <c>\uXXXX</c> (<c>\UXXXXXXXX</c> beyond the BMP), for audit logs and approval prompts,
    /// so a reader sees exactly which characters a command holds. Never throws.
    /// </summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";

        StringBuilder? escaped = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            int codePoint = c;
            var width = 1;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                codePoint = char.ConvertToUtf32(c, text[i + 1]);
                width = 2;
            }

            if (NeedsEscape(codePoint))
            {
                escaped ??= new StringBuilder(text, 0, i, text.Length + 16);
                escaped.Append(EscapeCodePoint(codePoint));
            }
            else
            {
                escaped?.Append(text, i, width);
            }

            i += width - 1;
        }

        return escaped?.ToString() ?? text;
    }

    /// <summary>
    /// Checks that a name (command, server id, action, option) is plain ASCII. When it is not,
    /// <paramref name="problem"/> names the first offending character and
    /// <paramref name="asciiSkeleton"/> is the name with look-alike letters replaced by the Latin
    /// ones they imitate, when that gives plain ASCII (a did-you-mean).
    /// </summary>
    public static bool IsAsciiName(string? name, [NotNullWhen(false)] out string? problem, out string? asciiSkeleton)
    {
        name ??= "";
        asciiSkeleton = null;
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c < 0x80) continue;

            var shown = UserText.Code(name);
            if (Confusables.TryGet(c, out var lookAlike))
            {
                var kind = lookAlike.Name.StartsWith("LATIN", StringComparison.Ordinal) ? "non-ASCII letter" : "non-Latin letter";
                problem = $"{shown} contains {kind} U+{(int)c:X4} ({lookAlike.Name})";
            }
            else
            {
                var codePoint = char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1])
                    ? char.ConvertToUtf32(c, name[i + 1])
                    : c;
                problem = $"{shown} contains non-ASCII character U+{codePoint:X4}";
            }

            var skeleton = Confusables.Skeleton(name);
            asciiSkeleton = IsAscii(skeleton) ? skeleton : null;
            return false;
        }

        problem = null;
        return true;
    }

    internal static bool IsAscii(string text)
    {
        foreach (var c in text)
        {
            if (c >= 0x80) return false;
        }

        return true;
    }

    internal static string EscapeCodePoint(int codePoint) =>
        codePoint > 0xFFFF
            ? string.Create(CultureInfo.InvariantCulture, $"\\U{codePoint:X8}")
            : string.Create(CultureInfo.InvariantCulture, $"\\u{codePoint:X4}");

    private const string LineBreak = "a line break";

    // Returns what is wrong with a character in command text, or null when it may stay.
    private static string? Classify(int codePoint)
    {
        if (codePoint == '\t') return null;
        if (IsDirectionControl(codePoint) || IsInvisible(codePoint)) return "an invisible or direction-changing character";
        if (codePoint is '\n' or '\r' or 0x85 or 0x2028 or 0x2029) return LineBreak;

        return CharUnicodeInfo.GetUnicodeCategory(codePoint) switch
        {
            UnicodeCategory.Control => "a control character",
            // Any other formatting character is invisible too (soft hyphen, invisible operators, ...).
            UnicodeCategory.Format => "an invisible or direction-changing character",
            _ => null,
        };
    }

    private static bool IsDirectionControl(int codePoint) =>
        codePoint is (>= 0x202A and <= 0x202E) or (>= 0x2066 and <= 0x2069) or 0x200E or 0x200F or 0x061C;

    // Characters that render as nothing (or as blank) yet change what the text is.
    private static bool IsInvisible(int codePoint) =>
        codePoint is (>= 0x200B and <= 0x200D) or (>= 0x2060 and <= 0x2064) or 0xFEFF
            or (>= 0xFE00 and <= 0xFE0F) // variation selectors
            or (>= 0xE0100 and <= 0xE01EF) // variation selectors supplement
            or (>= 0xE0000 and <= 0xE007F) // tag characters ("ASCII smuggling")
            or 0x00AD or 0x034F or 0x115F or 0x1160 or 0x3164 or 0xFFA0 or 0x17B4 or 0x17B5
            or (>= 0x180B and <= 0x180F);

    private static bool NeedsEscape(int codePoint)
    {
        if (codePoint == ' ') return false;
        if (IsDirectionControl(codePoint) || IsInvisible(codePoint)) return true;

        return CharUnicodeInfo.GetUnicodeCategory(codePoint) is UnicodeCategory.Control
            or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.SpaceSeparator
            or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned;
    }
}
