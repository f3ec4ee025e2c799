using System.Globalization;
using System.Text.RegularExpressions;

namespace ChatOps.Agent.Allowlist;

/// <summary>One typed parameter of an allowlisted action, already checked at load.</summary>
internal sealed partial class ActionParameter
{
    public const int DefaultMaxLength = 4096;

    private static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(200);

    public required string Name { get; init; }

    public required ParameterType Type { get; init; }

    public bool Required { get; init; }

    public string? Default { get; init; }

    public Regex? Pattern { get; init; }

    public int MaxLength { get; init; } = DefaultMaxLength;

    public long? Min { get; init; }

    public long? Max { get; init; }

    public IReadOnlyList<string> Values { get; init; } = [];

    /// <summary>The canonical, symlink-free root of a path parameter.</summary>
    public string? Root { get; init; }

    public static Regex CompilePattern(string pattern) =>
        new($"\\A(?:{pattern})\\z", RegexOptions.CultureInvariant, PatternTimeout);

    /// <summary>
    /// Checks one value. <paramref name="afterEndOfOptions"/> says the value lands after an inserted
    /// "--", the only place where a leading '-' cannot be read as an option.
    /// </summary>
    public ValueCheck Check(string value, bool afterEndOfOptions)
    {
        if (value.Length > MaxLength)
        {
            return ValueCheck.Fail($"parameter '{Name}' is longer than {MaxLength} characters");
        }

        if (TextHygiene.FindProblem(value) is { } hygiene)
        {
            return ValueCheck.Fail($"parameter '{Name}' {hygiene}");
        }

        // A choice value is one of the allowlist author's own strings, as trusted as a literal.
        if (Type != ParameterType.Choice && !afterEndOfOptions && value.StartsWith('-'))
        {
            return ValueCheck.Fail($"parameter '{Name}' must not start with '-' (it would be read as an option)");
        }

        var typed = Type switch
        {
            ParameterType.Word => CheckWord(value),
            ParameterType.Text => ValueCheck.Ok(value),
            ParameterType.Integer => CheckInteger(value),
            ParameterType.Choice => CheckChoice(value),
            ParameterType.Path => CheckPath(value),
            _ => throw new InvalidOperationException($"unknown parameter type {Type}"),
        };
        if (typed.Error is not null || Pattern is null)
        {
            return typed;
        }

        try
        {
            return Pattern.IsMatch(value)
                ? typed
                : ValueCheck.Fail($"parameter '{Name}' does not match the pattern {Pattern}");
        }
        catch (RegexMatchTimeoutException)
        {
            return ValueCheck.Fail($"parameter '{Name}' took too long to check against its pattern");
        }
    }

    private ValueCheck CheckWord(string value)
    {
        if (!WordPattern().IsMatch(value))
        {
            return ValueCheck.Fail($"parameter '{Name}' must be one word of letters, digits and ._:+=,@/-");
        }

        // args4j and others expand "@file" into that file's contents before any other check (Jenkins CVE-2024-23897).
        return value.StartsWith('@')
            ? ValueCheck.Fail($"parameter '{Name}' must not start with '@' (read as \"arguments from this file\" by some programs)")
            : ValueCheck.Ok(value);
    }

    private ValueCheck CheckInteger(string value)
    {
        if (!IntegerPattern().IsMatch(value)
            || !long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            return ValueCheck.Fail($"parameter '{Name}' must be a whole number");
        }

        if (number < Min || number > Max)
        {
            return ValueCheck.Fail($"parameter '{Name}' must be between {Min?.ToString(CultureInfo.InvariantCulture) ?? "-∞"} and {Max?.ToString(CultureInfo.InvariantCulture) ?? "∞"}");
        }

        return ValueCheck.Ok(number.ToString(CultureInfo.InvariantCulture));
    }

    private ValueCheck CheckChoice(string value) =>
        Values.Contains(value, StringComparer.Ordinal)
            ? ValueCheck.Ok(value)
            : ValueCheck.Fail($"parameter '{Name}' must be one of: {string.Join(", ", Values)}");

    private ValueCheck CheckPath(string value)
    {
        var confined = PathConfinement.Confine(Root!, value);
        return confined.Error is null
            ? ValueCheck.Ok(confined.Path!)
            : ValueCheck.Fail($"parameter '{Name}' {confined.Error}");
    }

    [GeneratedRegex(@"\A[A-Za-z0-9._:+=,@/-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"\A-?[0-9]{1,19}\z", RegexOptions.CultureInvariant)]
    private static partial Regex IntegerPattern();
}

/// <summary>The outcome of checking one value: the argv element to use, or why it was refused.</summary>
internal readonly record struct ValueCheck(string? Value, string? Error)
{
    public static ValueCheck Ok(string value) => new(value, null);

    public static ValueCheck Fail(string error) => new(null, error);
}
