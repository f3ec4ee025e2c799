using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ChatOps.Core.Commands;

/// <summary>Checks one value against its <see cref="ParameterType"/> and returns it normalised.</summary>
internal static class ParameterValidator
{
    public static bool TryValidate(
        ParameterDefinition parameter,
        string raw,
        out string value,
        [NotNullWhen(false)] out string? error,
        out string? suggestion)
    {
        value = "";
        suggestion = null;
        var name = UserText.Placeholder(parameter);

        if (raw.Length == 0)
        {
            error = $"{name} can't be empty.";
            return false;
        }

        if (raw.Length > parameter.MaxLength)
        {
            error = $"{name} is too long (max {parameter.MaxLength.ToString("N0", CultureInfo.InvariantCulture)} characters).";
            return false;
        }

        // Only a number may carry a sign; every other value starting with '-' could be read as an option.
        if (raw[0] == '-' && parameter.Type != ParameterType.Integer)
        {
            error = $"{UserText.Code(raw)} can't be {UserText.WithArticle(parameter)}: values may not start with '-'.";
            return false;
        }

        switch (parameter.Type)
        {
            case ParameterType.Word:
            case ParameterType.Action:
                return TryWord(parameter, raw, out value, out error, out suggestion);
            case ParameterType.Text:
                return TryText(parameter, raw, out value, out error);
            case ParameterType.Integer:
                return TryInteger(parameter, raw, out value, out error);
            case ParameterType.Choice:
                return TryChoice(parameter, raw, out value, out error, out suggestion);
            case ParameterType.Target:
                return TryTarget(raw, out value, out error, out suggestion);
            case ParameterType.Duration:
                return TryDuration(parameter, raw, out value, out error);
            default:
                error = $"{name} has a type this version does not know ({parameter.Type}).";
                return false;
        }
    }

    /// <summary>^[A-Za-z0-9][A-Za-z0-9._:@/-]*$</summary>
    public static bool IsWord(string text)
    {
        if (text.Length == 0 || !char.IsAsciiLetterOrDigit(text[0])) return false;

        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or ':' or '@' or '/' or '-')) return false;
        }

        return true;
    }

    private static bool TryWord(ParameterDefinition parameter, string raw, out string value, [NotNullWhen(false)] out string? error, out string? suggestion)
    {
        value = "";
        suggestion = null;
        if (!TextHygiene.IsAsciiName(raw, out var problem, out var skeleton))
        {
            error = $"{problem}, which can't be in {UserText.WithArticle(parameter)}.";
            suggestion = skeleton is not null && IsWord(skeleton) ? skeleton : null;
            return false;
        }

        if (!IsWord(raw))
        {
            error = $"{UserText.Code(raw)} is not a valid {UserText.Placeholder(parameter)}: use letters, digits and . _ : @ / -, starting with a letter or digit.";
            return false;
        }

        value = raw;
        error = null;
        return true;
    }

    private static bool TryText(ParameterDefinition parameter, string raw, out string value, [NotNullWhen(false)] out string? error)
    {
        value = "";
        foreach (var c in raw)
        {
            if (char.IsControl(c))
            {
                error = $"{UserText.Placeholder(parameter)} contains a control character ({TextHygiene.EscapeCodePoint(c)}).";
                return false;
            }
        }

        value = raw;
        error = null;
        return true;
    }

    private static bool TryInteger(ParameterDefinition parameter, string raw, out string value, [NotNullWhen(false)] out string? error)
    {
        value = "";
        var name = UserText.Placeholder(parameter);
        if (!long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            error = $"{name} must be a whole number, got {UserText.Code(raw)}.";
            return false;
        }

        if (!InRange(number, parameter.Min, parameter.Max, out var range))
        {
            error = $"{name} must be {range}, got {UserText.Code(raw)}.";
            return false;
        }

        value = number.ToString(CultureInfo.InvariantCulture);
        error = null;
        return true;
    }

    private static bool TryChoice(ParameterDefinition parameter, string raw, out string value, [NotNullWhen(false)] out string? error, out string? suggestion)
    {
        value = "";
        suggestion = null;
        var allowed = parameter.AllowedValues ?? [];
        foreach (var candidate in allowed)
        {
            if (string.Equals(candidate, raw, StringComparison.OrdinalIgnoreCase))
            {
                value = candidate;
                error = null;
                return true;
            }
        }

        error = $"{UserText.Code(raw)} is not a valid {UserText.Placeholder(parameter)}: choose one of {string.Join(", ", allowed)}.";
        suggestion = DidYouMean.Closest(raw, allowed);
        return false;
    }

    private static bool TryTarget(string raw, out string value, [NotNullWhen(false)] out string? error, out string? suggestion)
    {
        value = "";
        suggestion = null;
        if (!TextHygiene.IsAsciiName(raw, out var problem, out var skeleton))
        {
            error = $"{problem}, which can't be in a target.";
            suggestion = skeleton is not null && TargetSelector.TryParse(skeleton, out var guess, out _) ? guess.Expression : null;
            return false;
        }

        if (!TargetSelector.TryParse(raw, out var selector, out error)) return false;

        value = selector.Expression;
        return true;
    }

    private static bool TryDuration(ParameterDefinition parameter, string raw, out string value, [NotNullWhen(false)] out string? error)
    {
        value = "";
        if (!DurationParser.TryParse(raw, out var duration, out var durationError))
        {
            error = durationError;
            return false;
        }

        // Min and Max of a duration parameter are in seconds.
        if (!InRange((long)duration.TotalSeconds, parameter.Min, parameter.Max, out _))
        {
            var low = parameter.Min is { } min ? FormatSeconds(min) : null;
            var high = parameter.Max is { } max ? FormatSeconds(max) : null;
            var range = (low, high) switch
            {
                (not null, not null) => $"between {low} and {high}",
                (not null, null) => $"at least {low}",
                _ => $"at most {high}",
            };
            error = $"{UserText.Placeholder(parameter)} must be {range}, got {UserText.Code(raw)}.";
            return false;
        }

        value = DurationParser.Format(duration);
        error = null;
        return true;
    }

    private static string FormatSeconds(long seconds) =>
        DurationParser.Format(TimeSpan.FromSeconds(Math.Clamp(seconds, 0, (long)DurationParser.MaxDuration.TotalSeconds)));

    private static bool InRange(long number, long? min, long? max, out string range)
    {
        range = (min, max) switch
        {
            ({ } low, { } high) => $"between {low} and {high}",
            ({ } low, null) => $"at least {low}",
            (null, { } high) => $"at most {high}",
            _ => "",
        };
        return (min is null || number >= min) && (max is null || number <= max);
    }
}
