namespace ChatOps.Agent.Allowlist;

/// <summary>An action the agent may run: a fixed program and an argv template with typed holes.</summary>
internal sealed class AllowlistAction
{
    public required string Name { get; init; }

    public string? Description { get; init; }

    /// <summary>The program's absolute path, resolved when the allowlist was loaded.</summary>
    public required string Program { get; init; }

    /// <summary>The argv after the program: literals and placeholders, in order.</summary>
    public required IReadOnlyList<ArgvElement> Template { get; init; }

    /// <summary>Named parameters in declaration order (the order positional values fill them).</summary>
    public required IReadOnlyList<ActionParameter> Parameters { get; init; }

    /// <summary>Takes positional values beyond <see cref="Parameters"/>, one argv element each.</summary>
    public ActionParameter? Rest { get; init; }

    public required TimeSpan TimeoutCap { get; init; }

    /// <summary>Insert "--" before the first value from a placeholder (the program understands it).</summary>
    public bool EndOfOptions { get; init; }

    public BindResult Bind(IReadOnlyDictionary<string, string>? args, IReadOnlyList<string>? positional) =>
        ArgumentBinder.Bind(this, args ?? new Dictionary<string, string>(), positional ?? []);
}

/// <summary>One template element: a literal, or a placeholder naming a parameter (the whole element).</summary>
internal sealed record ArgvElement(string? Literal, string? Parameter)
{
    public static ArgvElement ForLiteral(string literal) => new(literal, null);

    public static ArgvElement ForParameter(string name) => new(null, name);
}

/// <summary>A program and the exact argv it gets; no shell ever sees it.</summary>
internal sealed record BoundCommand(string Program, IReadOnlyList<string> Arguments);

internal readonly record struct BindResult(BoundCommand? Command, string? Error)
{
    public static BindResult Ok(BoundCommand command) => new(command, null);

    public static BindResult Fail(string error) => new(null, error);
}
