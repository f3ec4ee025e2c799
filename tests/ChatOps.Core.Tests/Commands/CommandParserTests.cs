using ChatOps.Core.Commands;
using static ChatOps.Core.Tests.Commands.Parsing;

namespace ChatOps.Core.Tests.Commands;

public class CommandParserTests
{
    [Theory]
    [InlineData("restart web-3 nginx")]
    [InlineData("/chatops restart web-3 nginx")]
    [InlineData("chatops restart web-3 nginx")]
    [InlineData("@chatops restart web-3 nginx")]
    [InlineData("ChatOps: restart web-3 nginx")]
    [InlineData("@ChatOps, restart web-3 nginx")]
    [InlineData("<@U123ABC> restart web-3 nginx")]
    [InlineData("<@U123ABC>: restart web-3 nginx")]
    [InlineData("<@U123|chatops> restart web-3 nginx")]
    [InlineData("RESTART Web-3 nginx")]
    [InlineData("restart --service nginx web-3")]
    [InlineData("restart -- web-3 nginx")]
    public void Every_prefix_and_spelling_gives_the_same_command(string text)
    {
        var command = Success(text);

        Assert.Equal("restart", command.Definition.Name);
        Assert.Equal("web-3", command.Target);
        Assert.Equal("nginx", command.Get("service"));
        Assert.Empty(command.ActionArgs);
        Assert.Empty(command.Options);
    }

    [Theory]
    [InlineData("opsbot restart web-3 nginx")]
    [InlineData("@opsbot restart web-3 nginx")]
    [InlineData("/opsbot: restart web-3 nginx")]
    public void Configured_bot_names_are_prefixes(string text)
    {
        var options = new CommandParserOptions { BotNames = ["@OpsBot"] };

        Assert.Equal("restart", Success(text, options: options).Definition.Name);
    }

    [Fact]
    public void Only_the_bots_own_mention_is_a_prefix_when_its_ids_are_configured()
    {
        var options = new CommandParserOptions { BotUserIds = ["UBOT1"] };

        Assert.Equal("restart", Success("<@UBOT1> restart web-3 nginx", options: options).Definition.Name);
        Assert.StartsWith("Unknown command `<@U999>`", Failure("<@U999> restart web-3 nginx", options: options).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Quoted_or_doubled_prefixes_are_not_prefixes()
    {
        Assert.StartsWith("Unknown command `chatops`", Failure("\"chatops\" restart web-3 nginx").Error, StringComparison.Ordinal);
        Assert.StartsWith("Unknown command `//chatops`", Failure("//chatops restart web-3 nginx").Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("/chatops")]
    [InlineData("<@U123ABC>")]
    [InlineData("--help")]
    [InlineData("help")]
    public void Nothing_to_do_means_help(string text)
    {
        var command = Success(text);

        Assert.Equal("help", command.Definition.Name);
        Assert.Null(command.Get("command"));
    }

    [Theory]
    [InlineData("help restart")]
    [InlineData("restart --help")]
    [InlineData("restart web-3 --help")]
    public void Help_for_one_command(string text)
    {
        var command = Success(text);

        Assert.Equal("help", command.Definition.Name);
        Assert.Equal("restart", command.Get("command"));
    }

    [Fact]
    public void Run_reads_the_same_in_both_word_orders()
    {
        var canonical = Success("run web-1 uptime");
        var natural = Success("run uptime on web-1");

        Assert.Equal("web-1", natural.Target);
        Assert.Equal("uptime", natural.Get("action"));
        Assert.Equal(canonical.Values, natural.Values);
        Assert.Equal(canonical.ActionArgs, natural.ActionArgs);
        Assert.Null(natural.Definition.AgentAction);
    }

    [Theory]
    [InlineData("run web-1 df -- -h /var")]
    [InlineData("run df on web-1 -- -h /var")]
    [InlineData("run df ON web-1 -- -h /var")]
    [InlineData("run web-1 df /var -- -h")]
    public void Run_passes_action_arguments_in_order(string text)
    {
        var command = Success(text);

        Assert.Equal("web-1", command.Target);
        Assert.Equal("df", command.Get("action"));
        Assert.Equal(text.EndsWith("-h", StringComparison.Ordinal) ? ["/var", "-h"] : ["-h", "/var"], command.ActionArgs);
    }

    [Fact]
    public void Run_in_the_natural_order_takes_the_actions_arguments_up_to_the_last_on()
    {
        var command = Success("run echo hello on the world on web-2");

        Assert.Equal("web-2", command.Target);
        Assert.Equal("echo", command.Get("action"));
        Assert.Equal(["hello", "on", "the", "world"], command.ActionArgs);
    }

    [Fact]
    public void Run_with_a_quoted_on_among_the_arguments_keeps_the_canonical_reading()
    {
        var command = Success("run web-1 echo \"on\" web-2");

        Assert.Equal("web-1", command.Target);
        Assert.Equal("echo", command.Get("action"));
        Assert.Equal(["on", "web-2"], command.ActionArgs);
    }

    [Fact]
    public void A_quoted_keyword_is_a_value()
    {
        var command = Success("run uptime \"on\" web-1");

        Assert.Equal("uptime", command.Target);
        Assert.Equal("on", command.Get("action"));
        Assert.Equal(["web-1"], command.ActionArgs);
    }

    [Fact]
    public void A_natural_order_missing_its_target_says_so()
    {
        var failure = Failure("run uptime on");

        Assert.Equal("`run` needs a <target>.", failure.Error);
        Assert.Equal("run <target> <action> [args...]  (or: run <action> on <target>)", failure.Usage);
    }

    [Fact]
    public void Global_options_go_to_options()
    {
        var command = Success("run web-* uptime --max-concurrency 5 --max-errors=1");

        Assert.Equal(new Dictionary<string, string> { ["max-concurrency"] = "5", ["max-errors"] = "1" }, command.Options);
        Assert.Equal("web-*", command.Target);
        Assert.Empty(command.ActionArgs);
    }

    [Theory]
    [InlineData("restart web-3 nginx --max-errors 0", "`--max-errors` must be a whole number of at least 1, got `0`.")]
    [InlineData("restart web-3 nginx --max-errors -1", "`--max-errors` must be a whole number of at least 1, got `-1`.")]
    [InlineData("restart web-3 nginx --max-concurrency many", "`--max-concurrency` must be a whole number of at least 1, got `many`.")]
    [InlineData("restart web-3 nginx --max-concurrency 99999999999", "`--max-concurrency` must be a whole number of at least 1, got `99999999999`.")]
    [InlineData("restart web-3 nginx --max-errors 1 --max-errors 2", "`--max-errors` is given twice.")]
    public void Global_options_are_whole_numbers_given_once(string text, string error)
    {
        Assert.Equal(error, Failure(text).Error);
    }

    [Fact]
    public void Commands_without_a_target_take_no_global_options()
    {
        var failure = Failure("whoami --max-errors 1");

        Assert.Equal("Unknown option `--max-errors` for `whoami`. `whoami` takes no options.", failure.Error);
        Assert.Equal("whoami", failure.Usage);
    }

    [Fact]
    public void An_unknown_option_lists_the_commands_options_and_suggests_one()
    {
        var failure = Failure("logs web-3 nginx --line 5");

        Assert.Equal("Unknown option `--line` for `logs`. Options: `--lines N`, `--max-concurrency N`, `--max-errors N`.", failure.Error);
        Assert.Equal("--lines", failure.Suggestion);
        Assert.Equal("logs <target> <service> [--lines N]", failure.Usage);
    }

    [Fact]
    public void A_confusable_option_name_is_unknown_and_suggests_its_skeleton()
    {
        var failure = Failure("logs web-3 nginx --lіnes 5");

        Assert.StartsWith("Unknown option: `lіnes` contains non-Latin letter U+0456", failure.Error, StringComparison.Ordinal);
        Assert.EndsWith("Options: `--lines N`, `--max-concurrency N`, `--max-errors N`.", failure.Error, StringComparison.Ordinal);
        Assert.Equal("--lines", failure.Suggestion);
    }

    [Fact]
    public void The_parser_refuses_a_useless_length_limit_at_construction()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CommandParser(BuiltIns, new CommandParserOptions { MaxLength = 0 }));
    }

    [Fact]
    public void Flag_only_parameters_have_defaults_and_ranges()
    {
        Assert.Equal("100", Success("logs web-3 nginx").Get("lines"));
        Assert.Equal("500", Success("logs web-3 nginx --lines=500").Get("lines"));
        Assert.Equal("<lines> must be between 1 and 5000, got `0`.", Failure("logs web-3 nginx --lines 0").Error);
        Assert.Equal("<lines> must be between 1 and 5000, got `5001`.", Failure("logs web-3 nginx --lines 5001").Error);
        Assert.Equal("<lines> must be a whole number, got `lots`.", Failure("logs web-3 nginx --lines lots").Error);
        Assert.Equal("`--lines` is given twice.", Failure("logs web-3 nginx --lines 1 --lines 2").Error);
        Assert.Equal("20", Success("history").Get("limit"));
        Assert.Equal("50", Success("history role:web --limit 50").Get("limit"));
    }

    [Fact]
    public void Optional_targets_may_be_left_out()
    {
        Assert.Null(Success("status").Target);
        Assert.Equal("role:web", Success("status role:web").Target);
        Assert.Equal("7f3c2a", Success("cancel 7f3c2a").Get("command_id"));
        Assert.Equal("7f3c2a", Success("cancel --command-id 7f3c2a").Get("command_id"));
    }

    [Theory]
    [InlineData("restart web-3", "`restart` needs a <service>.", "restart <target> <service>")]
    [InlineData("restart", "`restart` needs a <target>.", "restart <target> <service>")]
    [InlineData("run web-3", "`run` needs an <action>.", "run <target> <action> [args...]  (or: run <action> on <target>)")]
    [InlineData("cancel", "`cancel` needs a <command_id>.", "cancel <command_id>")]
    public void A_missing_parameter_is_named_with_the_usage_line(string text, string error, string usage)
    {
        var failure = Failure(text);

        Assert.Equal(error, failure.Error);
        Assert.Equal(usage, failure.Usage);
        Assert.Equal($"{error}\nUsage: `{usage}`", failure.ToReply());
    }

    [Theory]
    [InlineData("restart web-3 nginx extra", "Too many words for `restart`: `extra`.")]
    [InlineData("whoami please", "Too many words for `whoami`: `please`.")]
    [InlineData("servers a b c d e", "Too many words for `servers`: `a`, `b`, `c`, ….")]
    public void Too_many_words_are_refused_with_the_usage_line(string text, string error)
    {
        var failure = Failure(text);

        Assert.Equal(error, failure.Error);
        Assert.NotNull(failure.Usage);
    }

    [Theory]
    [InlineData("restrat web-3 nginx", "restrat", "restart")]
    [InlineData("rstart web-3 nginx", "rstart", "restart")]
    [InlineData("lgos web-3 nginx", "lgos", "logs")]
    [InlineData("stauts", "stauts", "status")]
    [InlineData("hist", "hist", "history")]
    public void An_unknown_command_gets_a_did_you_mean(string text, string typed, string suggestion)
    {
        var failure = Failure(text);

        Assert.Equal($"Unknown command `{typed}`. Type `help` for the list of commands.", failure.Error);
        Assert.Equal(suggestion, failure.Suggestion);
        Assert.Equal($"Unknown command `{typed}`. Type `help` for the list of commands.\nDid you mean `{suggestion}`?", failure.ToReply());
    }

    [Fact]
    public void Help_for_an_unknown_command_gets_a_did_you_mean()
    {
        var failure = Failure("help restrat");

        Assert.Equal("Unknown command `restrat`. Type `help` for the list of commands.", failure.Error);
        Assert.Equal("restart", failure.Suggestion);
        Assert.Equal("restart", Success("help RESTART").Get("command"));
    }

    [Fact]
    public void A_far_off_command_gets_no_suggestion()
    {
        var failure = Failure("xyzzy");

        Assert.Null(failure.Suggestion);
        Assert.Null(failure.Usage);
    }

    [Fact]
    public void A_confusable_command_never_matches_and_suggests_its_skeleton()
    {
        var failure = Failure("restаrt web-3 nginx");

        Assert.Equal("Unknown command: `restаrt` contains non-Latin letter U+0430 (CYRILLIC SMALL LETTER A). Type `help` for the list of commands.", failure.Error);
        Assert.Equal("restart", failure.Suggestion);
    }

    [Theory]
    [InlineData("restart wеb-3 nginx", "U+0435", "web-3")]
    [InlineData("restart web-3 ngіnx", "U+0456", "nginx")]
    [InlineData("run web-3 uрtime", "U+0440", "uptime")]
    public void Confusables_in_ids_and_actions_are_refused_with_their_skeleton(string text, string codePoint, string skeleton)
    {
        var failure = Failure(text);

        Assert.Contains(codePoint, failure.Error, StringComparison.Ordinal);
        Assert.Equal(skeleton, failure.Suggestion);
    }

    [Fact]
    public void Fullwidth_text_normalises_to_the_command()
    {
        var command = Success("ｒｅｓｔａｒｔ ｗｅｂ－３ ｎｇｉｎｘ");

        Assert.Equal("restart", command.Definition.Name);
        Assert.Equal("web-3", command.Target);
        Assert.Equal("nginx", command.Get("service"));
    }

    [Fact]
    public void Hygiene_runs_before_anything_else()
    {
        var failure = Failure("/chatops restart web-3\u202E nginx");

        Assert.Equal("Command text contains an invisible or direction-changing character (\\u202E) at position 23; retype it.", failure.Error);
    }

    [Fact]
    public void Too_long_text_is_refused_before_it_is_read()
    {
        var failure = Failure("run web-1 echo " + new string('a', 40_001 - 15));

        Assert.Equal("Command text is too long (max 4,000 characters).", failure.Error);
    }

    [Fact]
    public void The_length_limit_is_inclusive_and_configurable()
    {
        var exactly = "run web-1 echo " + new string('a', 4000 - 15);
        Assert.Equal([new string('a', 3985)], Success(exactly).ActionArgs);

        var failure = Failure("restart web-3 nginx", options: new CommandParserOptions { MaxLength = 10 });
        Assert.Equal("Command text is too long (max 10 characters).", failure.Error);
    }

    [Fact]
    public void Options_alone_need_a_command()
    {
        Assert.Equal("Options need a command before them. Type `help` for the list of commands.", Failure("--max-errors 3").Error);
    }

    [Fact]
    public void Tokenizer_errors_reach_the_user()
    {
        Assert.Equal("The quote (\") at position 16 is never closed. Close it, or put the text in single quotes.", Failure("run web-1 echo \"hi").Error);
    }
}
