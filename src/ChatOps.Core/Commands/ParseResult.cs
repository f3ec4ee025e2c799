namespace ChatOps.Core.Commands;

/// <summary>
/// A command line understood against the catalog.
/// <see cref="Values"/> holds every named parameter (target, action, service, lines, …) after
/// validation and defaults; <see cref="ActionArgs"/> the words after the action of <c>run</c>,
/// each one argv element for the agent; <see cref="Options"/> the global options such as
/// <c>--max-concurrency</c> and <c>--max-errors</c>.
/// </summary>
public sealed record ParsedCommand(
    CommandDefinition Definition,
    IReadOnlyDictionary<string, string> Values,
    IReadOnlyList<string> ActionArgs,
    IReadOnlyDictionary<string, string> Options)
{
    public string? Target => Values.TryGetValue("target", out var target) ? target : null;

    public string? Get(string name) => Values.TryGetValue(name, out var value) ? value : null;
}

/// <summary>The outcome of parsing: a command, or a reply that helps the user.</summary>
public abstract record ParseResult;

public sealed record ParseSuccess(ParsedCommand Command) : ParseResult;

/// <param name="Error">What is wrong, in one sentence (never a stack trace).</param>
/// <param name="Usage">The usage line of the command, when one was recognised.</param>
/// <param name="Suggestion">A did-you-mean, e.g. <c>restart</c> for <c>restrat</c>.</param>
public sealed record ParseFailure(string Error, string? Usage = null, string? Suggestion = null) : ParseResult
{
    /// <summary>The chat reply: error, then "Did you mean …?", then the usage line.</summary>
    public string ToReply()
    {
        var lines = new List<string> { Error };
        if (Suggestion is not null) lines.Add($"Did you mean `{Suggestion}`?");
        if (Usage is not null) lines.Add($"Usage: `{Usage}`");
        return string.Join('\n', lines);
    }
}
