using System.Globalization;
using System.Text;

namespace ChatOps.Core.Commands;

/// <summary>
/// Durations as people type them in chat: <c>30s</c>, <c>15m</c>, <c>2h</c>, <c>1d</c>, or combined
/// from the largest unit down, <c>1h30m</c>, <c>1d12h</c>. Always positive, at most a year.
/// </summary>
public static class DurationParser
{
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(366);

    private const int MaxDigits = 6;
    private const string Units = "dhms";
    private static readonly long[] SecondsPerUnit = [86_400, 3_600, 60, 1];

    public static bool TryParse(string? text, out TimeSpan duration) => TryParse(text, out duration, out _);

    /// <summary>Parses a duration; on failure <paramref name="error"/> is a sentence for the user.</summary>
    public static bool TryParse(string? text, out TimeSpan duration, out string error)
    {
        duration = TimeSpan.Zero;
        var input = (text ?? "").Trim().ToLowerInvariant();
        var invalid = $"{UserText.Code(text)} is not a duration: use a number and a unit, e.g. 30s, 15m, 2h, 1d or 1h30m.";
        if (input.Length == 0)
        {
            error = invalid;
            return false;
        }

        long totalSeconds = 0;
        var nextUnit = 0; // index into Units: each unit at most once, largest first
        var i = 0;
        while (i < input.Length)
        {
            var digitsStart = i;
            while (i < input.Length && char.IsAsciiDigit(input[i])) i++;
            var digits = i - digitsStart;
            if (digits == 0 || digits > MaxDigits || i == input.Length)
            {
                error = invalid;
                return false;
            }

            var unit = Units.IndexOf(input[i], StringComparison.Ordinal);
            if (unit < nextUnit)
            {
                error = invalid;
                return false;
            }

            // At most six digits, so the sum fits in a long with room to spare.
            long amount = 0;
            for (var d = digitsStart; d < digitsStart + digits; d++) amount = (amount * 10) + (input[d] - '0');
            totalSeconds += amount * SecondsPerUnit[unit];
            nextUnit = unit + 1;
            i++;
        }

        if (totalSeconds <= 0)
        {
            error = $"{UserText.Code(text)} is not a duration: it must be longer than 0s.";
            return false;
        }

        if (totalSeconds > (long)MaxDuration.TotalSeconds)
        {
            error = $"{UserText.Code(text)} is too long a duration (max 366d).";
            return false;
        }

        duration = TimeSpan.FromSeconds(totalSeconds);
        error = "";
        return true;
    }

    /// <summary>The shortest form, largest unit first: <c>1h30m</c>, <c>90s</c> becomes <c>1m30s</c>.</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero) return "0s";

        var remaining = (long)duration.TotalSeconds;
        var text = new StringBuilder();
        for (var unit = 0; unit < Units.Length; unit++)
        {
            var amount = remaining / SecondsPerUnit[unit];
            if (amount == 0) continue;
            text.Append(amount.ToString(CultureInfo.InvariantCulture)).Append(Units[unit]);
            remaining -= amount * SecondsPerUnit[unit];
        }

        return text.Length == 0 ? "0s" : text.ToString();
    }
}
