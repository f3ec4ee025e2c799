using System.Globalization;

namespace ChatOps.Core.Commands;

/// <summary>
/// Understands a chat message as a command of the catalog. Every input gives a
/// <see cref="ParseSuccess"/> or a <see cref="ParseFailure"/> whose message helps the user
/// (what is wrong, a did-you-mean, the usage line); no input makes it throw.
/// </summary>
/// <remarks>
/// Order matters for safety: length, then character hygiene on the raw text, then
/// normalisation, then words; names are matched only as ASCII, so a look-alike never matches.
/// </remarks>
public sealed class CommandParser
{
    private const string HelpCommand = "help";

    private readonly ICommandCatalog catalog;
    private readonly CommandParserOptions options;

    public CommandParser(ICommandCatalog catalog, CommandParserOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        this.catalog = catalog;
        this.options = options ?? new CommandParserOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(this.options.MaxLength, 1, nameof(options));
    }

    public ParseResult Parse(string text)
    {
        text ??= "";
        if (text.Length > options.MaxLength)
        {
            return new ParseFailure($"Command text is too long (max {options.MaxLength.ToString("N0", CultureInfo.InvariantCulture)} characters).");
        }

        if (!TextHygiene.TryNormalize(text, out var normalized, out var hygieneError)) return new ParseFailure(hygieneError);
        if (!CommandTokenizer.TryTokenize(normalized, out var tokens, out var tokenError)) return new ParseFailure(tokenError);

        var words = CommandPrefix.Strip(tokens.Words, options);
        if (words.Count == 0)
        {
            return tokens.Flags.Count == 0 || tokens.Flags.Any(IsHelpFlag)
                ? Help(null)
                : new ParseFailure("Options need a command before them. Type `help` for the list of commands.");
        }

        var nameWord = words[0].Text;
        if (!TextHygiene.IsAsciiName(nameWord, out var problem, out var skeleton))
        {
            var guess = skeleton is null ? null : catalog.Find(skeleton.ToLowerInvariant())?.Name ?? Suggest(skeleton);
            return new ParseFailure($"Unknown command: {problem}. Type `help` for the list of commands.", Suggestion: guess);
        }

        var definition = catalog.Find(nameWord.ToLowerInvariant());
        if (definition is null)
        {
            return new ParseFailure($"Unknown command {UserText.Code(nameWord)}. Type `help` for the list of commands.", Suggestion: Suggest(nameWord));
        }

        if (tokens.Flags.Any(IsHelpFlag)) return Help(definition.Name);

        var result = new CommandBinder(definition).Bind(words.Skip(1).ToList(), tokens.Flags);
        return result is ParseSuccess { Command: var command } && command.Definition.Name == HelpCommand
            ? CheckHelpTopic(command)
            : result;
    }

    // "help restrat" is answered like "restrat" itself: with a did-you-mean, not an empty help page.
    private ParseResult CheckHelpTopic(ParsedCommand help)
    {
        var topic = help.Get("command");
        if (topic is null) return new ParseSuccess(help);
        if (catalog.Find(topic.ToLowerInvariant()) is { } known)
        {
            var values = new Dictionary<string, string>(help.Values, StringComparer.Ordinal) { ["command"] = known.Name };
            return new ParseSuccess(help with { Values = values });
        }

        return new ParseFailure($"Unknown command {UserText.Code(topic)}. Type `help` for the list of commands.", Suggestion: Suggest(topic));
    }

    private ParseResult Help(string? command)
    {
        var help = catalog.Find(HelpCommand);
        if (help is null) return new ParseFailure("Type a command.");

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (command is not null && help.Parameters.Any(parameter => parameter.Name == "command")) values["command"] = command;
        return new ParseSuccess(new ParsedCommand(help, values, [], new Dictionary<string, string>()));
    }

    private string? Suggest(string word) => DidYouMean.Closest(word, catalog.All.Select(definition => definition.Name));

    private static bool IsHelpFlag(CommandFlag flag) => flag.Value is null && string.Equals(flag.Name, HelpCommand, StringComparison.OrdinalIgnoreCase);
}
