using ChatOps.Core.Commands;
using static ChatOps.Core.Tests.Commands.Parsing;

namespace ChatOps.Core.Tests.Commands;

/// <summary>
/// reliability-security.md tests 7, 8 and 14: shell metacharacters and argument-injection
/// vectors are refused by the schema or arrive as single literal argv elements; template
/// payloads come back literally.
/// </summary>
public class InjectionTests
{
    public static TheoryData<string> ShellMetacharacters =>
    [
        ";", "|", "&", "&&", "||", "`id`", "$(id)", "${IFS}", ">", "<", ">>", "*", "?", "[a]", "~", "$VAR", "%VAR%", "^", "!",
        "a;reboot", "x|nc evil 1", "$(rm -rf /)", "`touch /tmp/pwned`", "a && b || c", "${IFS}cat${IFS}/etc/passwd", "> /etc/passwd",
    ];

    [Theory]
    [MemberData(nameof(ShellMetacharacters))]
    public void Metacharacters_in_run_arguments_arrive_as_one_literal_element(string vector)
    {
        var command = Success($"run web-1 echo {CommandUsage.QuoteWord(vector)}");

        Assert.Equal("echo", command.Get("action"));
        Assert.Equal([vector], command.ActionArgs);
    }

    [Fact]
    public void Unquoted_metacharacters_are_separate_literal_words_never_interpreted()
    {
        var command = Success("run web-1 echo a ; b | c && $(id) `id` ${IFS} > /tmp/x");

        Assert.Equal(["a", ";", "b", "|", "c", "&&", "$(id)", "`id`", "${IFS}", ">", "/tmp/x"], command.ActionArgs);
    }

    [Theory]
    [MemberData(nameof(ShellMetacharacters))]
    public void Metacharacters_are_refused_in_words_and_targets(string vector)
    {
        var quoted = CommandUsage.QuoteWord("nginx" + vector);

        Assert.IsType<ParseFailure>(new CommandParser(BuiltIns).Parse($"restart web-3 {quoted}"));
        Assert.IsType<ParseFailure>(new CommandParser(BuiltIns).Parse($"run web-3 {CommandUsage.QuoteWord("uptime" + vector)}"));

        // In a target, * and ? are the glob wildcards (web-3* selects web-3, web-30, ...).
        if (vector is not ("*" or "?"))
        {
            Assert.IsType<ParseFailure>(new CommandParser(BuiltIns).Parse($"restart {CommandUsage.QuoteWord("web-3" + vector)} nginx"));
        }
    }

    [Theory]
    [InlineData("restart web-3 -oProxyCommand=x", "`-oProxyCommand=x` can't be a <service>: values may not start with '-'.")]
    [InlineData("restart web-3 -- -oProxyCommand=x", "`-oProxyCommand=x` can't be a <service>: values may not start with '-'.")]
    [InlineData("restart web-3 '--output=/etc/x'", "`--output=/etc/x` can't be a <service>: values may not start with '-'.")]
    [InlineData("restart web-3 @/etc/passwd", "`@/etc/passwd` is not a valid <service>: use letters, digits and . _ : @ / -, starting with a letter or digit.")]
    [InlineData("restart web-3 nginx --output=/etc/x", "Unknown option `--output` for `restart`. Options: `--max-concurrency N`, `--max-errors N`.")]
    [InlineData("restart web-3 nginx --upload-pack=evil", "Unknown option `--upload-pack` for `restart`. Options: `--max-concurrency N`, `--max-errors N`.")]
    [InlineData("run web-3 -- -oProxyCommand=x", "`-oProxyCommand=x` can't be an <action>: values may not start with '-'.")]
    [InlineData("run web-3 @/etc/passwd", "`@/etc/passwd` is not a valid <action>: use letters, digits and . _ : @ / -, starting with a letter or digit.")]
    [InlineData("cancel -1", "`-1` can't be a <command_id>: values may not start with '-'.")]
    public void Argument_injection_is_refused_by_the_schema(string text, string error)
    {
        Assert.Equal(error, Failure(text).Error);
    }

    [Fact]
    public void Option_like_run_arguments_must_come_after_double_dash()
    {
        var failure = Failure("run web-1 ssh -oProxyCommand=x host");

        Assert.Equal(
            "`-oProxyCommand=x` looks like an option. To pass it to the action as a literal argument, put it after `--`: `run web-1 ssh -- -oProxyCommand=x host`.",
            failure.Error);
    }

    [Fact]
    public void The_double_dash_hint_rewrites_the_natural_order_too()
    {
        var failure = Failure("run df on web-1 -h");

        Assert.EndsWith("put it after `--`: `run web-1 df -- -h`.", failure.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_double_dash_option_for_run_is_unknown_with_the_same_hint()
    {
        var failure = Failure("run web-1 curl --output=/etc/x http://x");

        Assert.Equal(
            "Unknown option `--output` for `run`. Options: `--max-concurrency N`, `--max-errors N`. To pass `--output` to the action as a literal argument, put it after `--`.",
            failure.Error);
    }

    [Fact]
    public void After_double_dash_option_like_values_are_literal_arguments()
    {
        var command = Success("run web-1 curl -- -oProxyCommand=x --output=/etc/x @/etc/passwd -- \"a b\" --max-errors 3");

        Assert.Equal("curl", command.Get("action"));
        Assert.Equal(["-oProxyCommand=x", "--output=/etc/x", "@/etc/passwd", "--", "a b", "--max-errors", "3"], command.ActionArgs);
        Assert.Empty(command.Options);
    }

    [Fact]
    public void At_file_values_are_never_expanded()
    {
        Assert.Equal(["@/etc/passwd"], Success("run web-1 cat @/etc/passwd").ActionArgs);
        Assert.Equal("user@host", Success("restart web-3 user@host").Get("service"));
    }

    [Fact]
    public void A_value_with_spaces_stays_one_element_when_quoted()
    {
        Assert.Equal(["a b", "c"], Success("run web-1 echo 'a b' c").ActionArgs);
        Assert.Equal("`a b` is not a valid <service>: use letters, digits and . _ : @ / -, starting with a letter or digit.", Failure("restart web-3 'a b'").Error);
    }

    [Theory]
    [InlineData("{{7*7}}")]
    [InlineData("${7*7}")]
    [InlineData("@(1+1)")]
    [InlineData("#{7*7}")]
    [InlineData("{{ ''.__class__.__mro__ }}")]
    [InlineData("<%= 7*7 %>")]
    public void Template_payloads_come_back_literally(string payload)
    {
        var quoted = CommandUsage.QuoteWord(payload);

        Assert.Equal([payload], Success($"run web-1 echo {quoted}").ActionArgs);
        Assert.Equal(payload, Success($"silence web-1 1h {quoted}", Extended).Get("reason"));

        var failure = Failure($"restart web-3 {quoted}");
        Assert.Contains($"`{payload}`", failure.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("49", failure.Error, StringComparison.Ordinal);
    }
}
