namespace ChatOps.Core.Commands;

/// <summary>A positional word of a command line.</summary>
/// <param name="Text">The word with its quotes removed.</param>
/// <param name="Position">Where the word starts in the text, counting characters from 1.</param>
/// <param name="Quoted">Some part of the word was in quotes (so it is never a keyword of a format).</param>
/// <param name="AfterEndOfOptions">The word came after a lone <c>--</c>: a literal value even if it starts with <c>-</c>.</param>
public sealed record CommandWord(string Text, int Position, bool Quoted, bool AfterEndOfOptions);

/// <summary>An option: <c>--name value</c> or <c>--name=value</c>.</summary>
/// <param name="Name">The name as typed, without the leading <c>--</c>.</param>
/// <param name="Value">The value; null only for <c>--help</c>, which takes none.</param>
/// <param name="Position">Where the option starts in the text, counting characters from 1.</param>
public sealed record CommandFlag(string Name, string? Value, int Position);

/// <summary>A command line split into positional words and options.</summary>
public sealed record TokenizedCommand(IReadOnlyList<CommandWord> Words, IReadOnlyList<CommandFlag> Flags)
{
    public static TokenizedCommand Empty { get; } = new([], []);
}
