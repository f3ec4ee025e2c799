using System.Text;

namespace ChatOps.Agent;

/// <summary>Makes text from the wire safe to put in a log line or a message: printable, short.</summary>
internal static class LogText
{
    private const int MaxLength = 80;

    public static string Quote(string? value)
    {
        if (value is null)
        {
            return "(none)";
        }

        var builder = new StringBuilder(Math.Min(value.Length, MaxLength));
        foreach (var c in value.AsSpan(0, Math.Min(value.Length, MaxLength)))
        {
            if (char.IsControl(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format || char.IsSurrogate(c))
            {
                builder.Append($"\\u{(int)c:X4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        if (value.Length > MaxLength)
        {
            builder.Append('…');
        }

        return builder.ToString();
    }
}
