using System.Globalization;
using ChatOps.Core.Commands;
using CsCheck;

namespace ChatOps.Core.Tests.Commands;

/// <summary>
/// The parser never throws: every input gives a success that satisfies the schema, or a
/// failure with a message that is safe to show.
/// </summary>
public class ParserPropertyTests
{
    private static readonly CommandParser Parser = new(Parsing.Extended, new CommandParserOptions { BotNames = ["opsbot"] });

    private static readonly string[] Vocabulary =
    [
        .. Parsing.Extended.All.Select(definition => definition.Name),
        "on", "to", "--", "--max-errors", "--max-concurrency", "--lines", "--limit", "--strategy", "--help", "--lines=5", "--max-errors=0",
        "--command_id", "--target", "-x", "-oProxyCommand=x", "--output=/etc/x", "@/etc/passwd", "web-1", "web-*", "db-?", "role:web",
        "role:", ":", "1h30m", "90s", "0s", "366d", "367d", "3", "0", "-1", "+2", "99999999999999999999", "\"", "'", "\\", "\"a b\"",
        "'c d'", "\u201C", "\u201D", "<@U123>", "<@U1|bot>", "/chatops", "@chatops:", "opsbot,", "restаrt", "ｒｅｓｔａｒｔ", "wеb-1",
        "{{7*7}}", "${IFS}", "$(id)", ";", "|", "&&", ">", "*", "?", "~", "\u202E", "\u200B", "\uFEFF", "\t", "", "=", "canary", "CANARY",
        "nginx", "uptime", "df", "-h", "a\\\"b", "\uD800", "😀", "\u00A0", "\u3000",
    ];

    [Fact]
    public void Random_strings_never_throw()
    {
        Gen.String.Sample(AssertWellFormed, iter: 5_000);
    }

    [Fact]
    public void Random_unicode_never_throws()
    {
        var codePoint = Gen.Int[0, 0x10FFFF].Select(cp => cp is >= 0xD800 and <= 0xDFFF ? ((char)cp).ToString() : char.ConvertFromUtf32(cp));
        codePoint.Array[0, 40].Select(string.Concat).Sample(AssertWellFormed, iter: 5_000);
    }

    [Fact]
    public void Token_soups_from_the_catalogs_words_never_throw()
    {
        var separator = Gen.OneOf(" ", " ", " ", "", "\t", "=");
        var soup = Gen.Select(Gen.OneOf(Vocabulary), separator).Array[0, 14]
            .Select(parts => string.Concat(parts.Select(part => part.Item1 + part.Item2)));
        soup.Sample(AssertWellFormed, iter: 20_000);
    }

    [Fact]
    public void Very_long_input_is_refused_whatever_it_holds()
    {
        Gen.Select(Gen.Int[4_001, 60_000], Gen.Char).Sample((length, c) =>
        {
            var failure = Assert.IsType<ParseFailure>(Parser.Parse(new string(c, length)));
            Assert.Equal("Command text is too long (max 4,000 characters).", failure.Error);
        }, iter: 50);

        var slack = Assert.IsType<ParseFailure>(Parser.Parse("run web-1 echo " + new string('a', 39_986)));
        Assert.Equal("Command text is too long (max 4,000 characters).", slack.Error);
    }

    [Fact]
    public void Quoted_run_arguments_arrive_unchanged_one_element_each()
    {
        var word = Gen.String[Gen.Char[' ', '~'], 0, 12];
        word.Array[1, 6].Sample(args =>
        {
            var text = "run web-1 echo -- " + string.Join(' ', args.Select(CommandUsage.QuoteWord));
            var command = Assert.IsType<ParseSuccess>(Parser.Parse(text)).Command;
            Assert.Equal(args, command.ActionArgs);
        }, iter: 5_000);
    }

    [Fact]
    public void Quoting_round_trips_through_the_tokenizer()
    {
        var word = Gen.String[Gen.Char[' ', '~'], 0, 12];
        word.Array[0, 8].Sample(words =>
        {
            var text = "cmd -- " + string.Join(' ', words.Select(CommandUsage.QuoteWord));
            Assert.True(CommandTokenizer.TryTokenize(text, out var tokens, out var error), error);
            Assert.Equal(words, tokens.Words.Skip(1).Select(token => token.Text));
        }, iter: 5_000);
    }

    private static void AssertWellFormed(string text)
    {
        switch (Parser.Parse(text))
        {
            case ParseSuccess success:
                AssertMeetsSchema(success.Command);
                break;
            case ParseFailure failure:
                Assert.False(string.IsNullOrWhiteSpace(failure.Error));
                Assert.True(TextHygiene.TryNormalize(failure.Error, out _, out var unsafeCharacter), $"error message carries {unsafeCharacter}");
                break;
            default:
                Assert.Fail("neither success nor failure");
                break;
        }
    }

    private static void AssertMeetsSchema(ParsedCommand command)
    {
        Assert.Same(Parsing.Extended.Find(command.Definition.Name), command.Definition);
        foreach (var value in command.Values.Values.Concat(command.ActionArgs).Concat(command.Options.Values))
        {
            Assert.True(TextHygiene.TryNormalize(value, out _, out var unsafeCharacter), $"value carries {unsafeCharacter}");
        }

        foreach (var parameter in command.Definition.Parameters)
        {
            var value = command.Get(parameter.Name);
            if (value is null)
            {
                Assert.False(parameter.Required, $"{parameter.Name} is required");
                continue;
            }

            Assert.True(value.Length <= parameter.MaxLength);
            switch (parameter.Type)
            {
                case ParameterType.Word or ParameterType.Action:
                    Assert.Matches("^[A-Za-z0-9][A-Za-z0-9._:@/-]*$", value);
                    break;
                case ParameterType.Target:
                    Assert.True(TargetSelector.TryParse(value, out var selector, out _));
                    Assert.Equal(value, selector.Expression);
                    break;
                case ParameterType.Integer:
                    var number = long.Parse(value, CultureInfo.InvariantCulture);
                    Assert.InRange(number, parameter.Min ?? long.MinValue, parameter.Max ?? long.MaxValue);
                    break;
                case ParameterType.Choice:
                    Assert.Contains(value, parameter.AllowedValues!);
                    break;
                case ParameterType.Text:
                    Assert.False(value.StartsWith('-'));
                    break;
                case ParameterType.Duration:
                    Assert.True(DurationParser.TryParse(value, out var duration));
                    Assert.Equal(value, DurationParser.Format(duration));
                    break;
            }
        }

        foreach (var option in command.Options.Values)
        {
            Assert.InRange(long.Parse(option, CultureInfo.InvariantCulture), 1, int.MaxValue);
        }
    }
}
