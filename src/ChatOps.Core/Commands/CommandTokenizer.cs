using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace ChatOps.Core.Commands;

/// <summary>
/// Splits a command line into words, shell-like but never shell-interpreted: spaces and tabs
/// separate words; <c>"double quotes"</c> (also the curly ones chat clients type) and
/// <c>'single quotes'</c> keep spaces; inside double quotes <c>\"</c> and <c>\\</c> are escapes;
/// nothing else is special (no variables, globbing, or <c>@file</c> expansion).
/// <c>--name value</c> and <c>--name=value</c> are options; a lone <c>--</c> ends options, so
/// every later word is positional even if it starts with <c>-</c>.
/// </summary>
public static class CommandTokenizer
{
    // Options that take no value.
    private static readonly HashSet<string> ValuelessFlags = new(StringComparer.OrdinalIgnoreCase) { "help" };

    private readonly record struct RawWord(string Text, int Position, int FirstQuoteAt)
    {
        public bool Quoted => FirstQuoteAt >= 0;

        // "--x" counts as an option only when both dashes were typed outside quotes.
        public bool IsOption => Text.StartsWith("--", StringComparison.Ordinal) && Text.Length > 2 && (FirstQuoteAt < 0 || FirstQuoteAt >= 2);

        public bool IsEndOfOptions => Text == "--" && !Quoted;
    }

    /// <summary>Splits <paramref name="text"/>; on failure <paramref name="error"/> says what and where.</summary>
    public static bool TryTokenize(string? text, out TokenizedCommand tokens, [NotNullWhen(false)] out string? error)
    {
        tokens = TokenizedCommand.Empty;
        if (!TrySplit(text ?? "", out var rawWords, out error)) return false;

        var words = new List<CommandWord>();
        var flags = new List<CommandFlag>();
        var endOfOptions = false;
        for (var i = 0; i < rawWords.Count; i++)
        {
            var word = rawWords[i];
            if (endOfOptions)
            {
                words.Add(new CommandWord(word.Text, word.Position, word.Quoted, AfterEndOfOptions: true));
            }
            else if (word.IsEndOfOptions)
            {
                endOfOptions = true;
            }
            else if (word.IsOption)
            {
                var body = word.Text[2..];
                var equals = body.IndexOf('=', StringComparison.Ordinal);
                if (equals >= 0)
                {
                    flags.Add(new CommandFlag(body[..equals], body[(equals + 1)..], word.Position));
                }
                else if (ValuelessFlags.Contains(body))
                {
                    flags.Add(new CommandFlag(body, null, word.Position));
                }
                else if (i + 1 < rawWords.Count && !rawWords[i + 1].IsOption && !rawWords[i + 1].IsEndOfOptions)
                {
                    flags.Add(new CommandFlag(body, rawWords[i + 1].Text, word.Position));
                    i++;
                }
                else
                {
                    var option = UserText.Inline("--" + body);
                    error = $"`{option}` needs a value: `{option} VALUE` or `{option}=VALUE`.";
                    return false;
                }
            }
            else
            {
                words.Add(new CommandWord(word.Text, word.Position, word.Quoted, AfterEndOfOptions: false));
            }
        }

        tokens = new TokenizedCommand(words, flags);
        return true;
    }

    private static bool TrySplit(string text, out List<RawWord> words, [NotNullWhen(false)] out string? error)
    {
        words = [];
        var current = new StringBuilder();
        var inWord = false;
        var wordStart = 0;
        var firstQuoteAt = -1;
        var quote = Quote.None;
        var quoteStart = 0;

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (quote)
            {
                case Quote.Double:
                    if (c == '\\' && i + 1 < text.Length && (IsDoubleQuote(text[i + 1]) || text[i + 1] == '\\'))
                    {
                        current.Append(text[++i]);
                    }
                    else if (IsDoubleQuote(c))
                    {
                        quote = Quote.None;
                    }
                    else
                    {
                        current.Append(c);
                    }

                    continue;

                case Quote.Single:
                    if (c == '\'') quote = Quote.None;
                    else current.Append(c);
                    continue;
            }

            if (c is ' ' or '\t')
            {
                if (inWord) words.Add(new RawWord(current.ToString(), wordStart + 1, firstQuoteAt));
                current.Clear();
                inWord = false;
                firstQuoteAt = -1;
                continue;
            }

            if (!inWord)
            {
                inWord = true;
                wordStart = i;
            }

            if (IsDoubleQuote(c) || c == '\'')
            {
                quote = c == '\'' ? Quote.Single : Quote.Double;
                quoteStart = i;
                if (firstQuoteAt < 0) firstQuoteAt = current.Length;
            }
            else
            {
                current.Append(c);
            }
        }

        if (quote != Quote.None)
        {
            var mark = text[quoteStart];
            var other = quote == Quote.Double ? "single" : "double";
            error = $"The quote ({mark}) at position {quoteStart + 1} is never closed. Close it, or put the text in {other} quotes.";
            return false;
        }

        if (inWord) words.Add(new RawWord(current.ToString(), wordStart + 1, firstQuoteAt));
        error = null;
        return true;
    }

    // Chat clients often turn " into curly quotes as people type.
    private static bool IsDoubleQuote(char c) => c is '"' or '\u201C' or '\u201D';

    private enum Quote
    {
        None,
        Double,
        Single,
    }
}
