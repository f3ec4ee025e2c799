using ChatOps.Core.Commands;

namespace ChatOps.Core.Tests.Commands;

public class CommandTokenizerTests
{
    private static TokenizedCommand Tokenize(string text)
    {
        Assert.True(CommandTokenizer.TryTokenize(text, out var tokens, out var error), error);
        return tokens;
    }

    private static string[] Words(string text) => Tokenize(text).Words.Select(word => word.Text).ToArray();

    [Fact]
    public void Splits_on_spaces_and_tabs_ignoring_runs_of_them()
    {
        Assert.Equal(["restart", "web-3", "nginx"], Words("  restart \t web-3   nginx  "));
    }

    [Theory]
    [InlineData("echo \"hello world\"", "hello world")]
    [InlineData("echo 'hello world'", "hello world")]
    [InlineData("echo \u201Chello world\u201D", "hello world")] // curly quotes from chat clients
    [InlineData("echo \"say \\\"hi\\\"\"", "say \"hi\"")]
    [InlineData("echo \"back\\\\slash\"", "back\\slash")]
    [InlineData("echo \"keep \\n as is\"", "keep \\n as is")]
    [InlineData("echo 'no \\\" escapes'", "no \\\" escapes")]
    [InlineData("echo 'it\"s'", "it\"s")]
    [InlineData("echo pre\"fix suf\"fix", "prefix suffix")]
    [InlineData("echo \"\"", "")]
    [InlineData("echo C:\\temp", "C:\\temp")]
    public void Quotes_keep_a_value_in_one_word(string text, string second)
    {
        var words = Words(text);

        Assert.Equal(2, words.Length);
        Assert.Equal(second, words[1]);
    }

    [Theory]
    [InlineData("run web-1 echo \"unclosed", "\"", 16, "single")]
    [InlineData("run web-1 echo it's", "'", 18, "double")]
    [InlineData("echo \"a\" 'b", "'", 10, "double")]
    public void An_unterminated_quote_names_its_position(string text, string mark, int position, string otherKind)
    {
        Assert.False(CommandTokenizer.TryTokenize(text, out _, out var error));

        Assert.Equal($"The quote ({mark}) at position {position} is never closed. Close it, or put the text in {otherKind} quotes.", error);
    }

    [Fact]
    public void Options_take_the_next_word_or_the_text_after_equals()
    {
        var tokens = Tokenize("logs web-3 --lines 50 nginx --level=warn --reason=\"disk full\" --empty=");

        Assert.Equal(["logs", "web-3", "nginx"], tokens.Words.Select(word => word.Text));
        Assert.Equal(
            [new CommandFlag("lines", "50", 12), new CommandFlag("level", "warn", 29), new CommandFlag("reason", "disk full", 42), new CommandFlag("empty", "", 63)],
            tokens.Flags);
    }

    [Theory]
    [InlineData("logs web-3 nginx --lines", "--lines")]
    [InlineData("logs web-3 nginx --lines --max-errors 2", "--lines")]
    [InlineData("logs web-3 nginx --lines -- 5", "--lines")]
    public void An_option_without_a_value_is_an_error(string text, string option)
    {
        Assert.False(CommandTokenizer.TryTokenize(text, out _, out var error));

        Assert.Equal($"`{option}` needs a value: `{option} VALUE` or `{option}=VALUE`.", error);
    }

    [Fact]
    public void Help_takes_no_value()
    {
        var tokens = Tokenize("restart --help web-3");

        Assert.Equal([new CommandFlag("help", null, 9)], tokens.Flags);
        Assert.Equal(["restart", "web-3"], tokens.Words.Select(word => word.Text));
    }

    [Fact]
    public void A_lone_double_dash_ends_options()
    {
        var tokens = Tokenize("run web-1 tar --max-errors 1 -- -czf --output=/etc/x -- x");

        Assert.Equal([new CommandFlag("max-errors", "1", 15)], tokens.Flags);
        Assert.Equal(
            [("run", false), ("web-1", false), ("tar", false), ("-czf", true), ("--output=/etc/x", true), ("--", true), ("x", true)],
            tokens.Words.Select(word => (word.Text, word.AfterEndOfOptions)));
    }

    [Fact]
    public void Quoted_dashes_are_values_not_options()
    {
        var tokens = Tokenize("run web-1 echo \"--\" \"--force\" '-x'");

        Assert.Empty(tokens.Flags);
        Assert.Equal(["run", "web-1", "echo", "--", "--force", "-x"], tokens.Words.Select(word => word.Text));
        Assert.All(tokens.Words.Skip(3), word => Assert.True(word.Quoted));
        Assert.All(tokens.Words, word => Assert.False(word.AfterEndOfOptions));
    }

    [Fact]
    public void Words_carry_their_one_based_position()
    {
        var tokens = Tokenize("run  web-1 'a b'");

        Assert.Equal([1, 6, 12], tokens.Words.Select(word => word.Position));
    }

    [Fact]
    public void Empty_text_has_no_words()
    {
        var tokens = Tokenize("   ");

        Assert.Empty(tokens.Words);
        Assert.Empty(tokens.Flags);
    }
}
