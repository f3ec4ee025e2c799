using ChatOps.Core.Commands;
using static ChatOps.Core.Tests.Commands.Parsing;

namespace ChatOps.Core.Tests.Commands;

public class ParameterValidationTests
{
    [Theory]
    [InlineData("restart web-3 nginx.service", "nginx.service")]
    [InlineData("restart web-3 user@host:unit/sub_1-2", "user@host:unit/sub_1-2")]
    [InlineData("restart web-3 9lives", "9lives")]
    public void Words_take_letters_digits_and_a_few_separators(string text, string service)
    {
        Assert.Equal(service, Success(text).Get("service"));
    }

    [Theory]
    [InlineData("restart web-3 'ngi nx'", "`ngi nx` is not a valid <service>: use letters, digits and . _ : @ / -, starting with a letter or digit.")]
    [InlineData("restart web-3 nginx!", "`nginx!` is not a valid <service>: use letters, digits and . _ : @ / -, starting with a letter or digit.")]
    [InlineData("restart web-3 .hidden", "`.hidden` is not a valid <service>: use letters, digits and . _ : @ / -, starting with a letter or digit.")]
    [InlineData("restart web-3 -nginx", "`-nginx` can't be a <service>: values may not start with '-'.")]
    [InlineData("restart web-3 -- -nginx", "`-nginx` can't be a <service>: values may not start with '-'.")]
    [InlineData("restart web-3 \"\"", "<service> can't be empty.")]
    public void Word_errors(string text, string error)
    {
        var failure = Failure(text);

        Assert.Equal(error, failure.Error);
        Assert.Equal("restart <target> <service>", failure.Usage);
    }

    [Fact]
    public void Word_max_length()
    {
        Assert.Equal("<service> is too long (max 128 characters).", Failure("restart web-3 " + new string('n', 129)).Error);
        Assert.Equal(new string('n', 128), Success("restart web-3 " + new string('n', 128)).Get("service"));
    }

    [Theory]
    [InlineData("status web-3", TargetKind.Id, "web-3")]
    [InlineData("status WEB-3", TargetKind.Id, "web-3")]
    [InlineData("status web-*", TargetKind.Glob, "web-*")]
    [InlineData("status db-?.eu", TargetKind.Glob, "db-?.eu")]
    [InlineData("status role:web", TargetKind.Tag, "role:web")]
    public void Targets_are_ids_globs_or_tags(string text, TargetKind kind, string expression)
    {
        var target = Success(text).Target;

        Assert.Equal(expression, target);
        Assert.True(TargetSelector.TryParse(target, out var selector, out _));
        Assert.Equal(kind, selector.Kind);
    }

    [Theory]
    [InlineData("status web_3!", "`web_3!` is not a valid server id: use lowercase letters, digits and . _ -, starting with a letter or digit.")]
    [InlineData("status web-[1]*", "`web-[1]*` is not a valid glob: use lowercase letters, digits, . _ - and the wildcards * and ? (e.g. web-*).")]
    [InlineData("status role:", "`role:` is not a valid tag: use key:value with letters, digits and . _ - (e.g. role:web).")]
    [InlineData("status -web", "`-web` can't be a <target>: values may not start with '-'.")]
    public void Target_errors(string text, string error)
    {
        Assert.Equal(error, Failure(text).Error);
    }

    [Fact]
    public void Text_rest_joins_its_words()
    {
        var command = Success("silence web-1 1h30m disk   is \"being replaced\"", Extended);

        Assert.Equal("disk is being replaced", command.Get("reason"));
        Assert.Null(Success("silence web-1 1h", Extended).Get("reason"));
    }

    [Theory]
    [InlineData("silence web-1 1h -- -x", "`-x` can't be a <reason>: values may not start with '-'.")]
    [InlineData("silence web-1 1h -x", "`-x` can't be a <reason>: values may not start with '-'.")]
    [InlineData("silence web-1 1h a reason that is far longer than forty characters", "<reason> is too long (max 40 characters).")]
    [InlineData("silence web-1 1h \"tab\there\"", "<reason> contains a control character (\\u0009).")]
    public void Text_errors(string text, string error)
    {
        Assert.Equal(error, Failure(text, Extended).Error);
    }

    [Theory]
    [InlineData("scale web-1 3", "3")]
    [InlineData("scale web-1 10", "10")]
    [InlineData("scale web-1 007", "7")]
    [InlineData("scale web-1 -- +2", "2")]
    public void Integers_within_range(string text, string replicas)
    {
        Assert.Equal(replicas, Success(text, Extended).Get("replicas"));
    }

    [Theory]
    [InlineData("scale web-1 three", "<replicas> must be a whole number, got `three`.")]
    [InlineData("scale web-1 1.5", "<replicas> must be a whole number, got `1.5`.")]
    [InlineData("scale web-1 99999999999999999999", "<replicas> must be a whole number, got `99999999999999999999`.")]
    [InlineData("scale web-1 11", "<replicas> must be between 1 and 10, got `11`.")]
    [InlineData("scale web-1 0", "<replicas> must be between 1 and 10, got `0`.")]
    [InlineData("scale web-1 -- -2", "<replicas> must be between 1 and 10, got `-2`.")]
    [InlineData("scale web-1 -2", "`-2` can't be a <replicas>: values may not start with '-'.")]
    public void Integer_errors(string text, string error)
    {
        Assert.Equal(error, Failure(text, Extended).Error);
    }

    [Fact]
    public void Choices_ignore_case_and_come_back_as_defined()
    {
        Assert.Equal("canary", Success("deploy web-1 1.2.3 --strategy CANARY", Extended).Get("strategy"));
        Assert.Equal("rolling", Success("deploy web-1 1.2.3", Extended).Get("strategy"));
    }

    [Fact]
    public void A_wrong_choice_lists_the_choices_and_suggests_one()
    {
        var failure = Failure("deploy web-1 1.2.3 --strategy canery", Extended);

        Assert.Equal("`canery` is not a valid <strategy>: choose one of rolling, canary, blue-green.", failure.Error);
        Assert.Equal("canary", failure.Suggestion);
        Assert.Equal("deploy <target> <version> [--strategy rolling|canary|blue-green]  (or: deploy <version> to <target>)", failure.Usage);
    }

    [Theory]
    [InlineData("silence web-1 90s", "1m30s")]
    [InlineData("silence web-1 15m", "15m")]
    [InlineData("silence web-1 2H", "2h")]
    [InlineData("silence web-1 1h30m", "1h30m")]
    [InlineData("silence web-1 1d", "1d")]
    [InlineData("silence web-1 7d", "7d")]
    public void Durations_are_normalised(string text, string duration)
    {
        Assert.Equal(duration, Success(text, Extended).Get("duration"));
    }

    [Theory]
    [InlineData("silence web-1 30s", "<duration> must be between 1m and 7d, got `30s`.")]
    [InlineData("silence web-1 8d", "<duration> must be between 1m and 7d, got `8d`.")]
    [InlineData("silence web-1 soon", "`soon` is not a duration: use a number and a unit, e.g. 30s, 15m, 2h, 1d or 1h30m.")]
    [InlineData("silence web-1 30m1h", "`30m1h` is not a duration: use a number and a unit, e.g. 30s, 15m, 2h, 1d or 1h30m.")]
    public void Duration_errors(string text, string error)
    {
        Assert.Equal(error, Failure(text, Extended).Error);
    }

    [Fact]
    public void A_format_with_a_keyword_reads_like_the_canonical_order()
    {
        var natural = Success("deploy 1.2.3 to role:web --strategy canary", Extended);
        var canonical = Success("deploy role:web 1.2.3 --strategy canary", Extended);

        Assert.Equal(canonical.Values, natural.Values);
        Assert.Equal("1.2.3", natural.Get("version"));
        Assert.Equal("role:web", natural.Target);
    }

    [Fact]
    public void A_format_without_keywords_is_tried_only_when_the_canonical_order_fails()
    {
        // "3" is a valid server id, so only the failing <replicas> sends the parser to the format.
        var swapped = Success("scale 3 web-1", Extended);
        var canonical = Success("scale web-1 3", Extended);

        Assert.Equal(canonical.Values, swapped.Values);
        Assert.Equal("<replicas> must be a whole number, got `many`.", Failure("scale web-1 many", Extended).Error);
        Assert.Equal("scale <target> <replicas>  (or: scale <replicas> <target>)", Failure("scale", Extended).Usage);
    }

    [Fact]
    public void A_format_with_its_keyword_found_reports_its_own_errors()
    {
        Assert.Equal("`web_1!` is not a valid server id: use lowercase letters, digits and . _ -, starting with a letter or digit.", Failure("deploy 1.2.3 to web_1!", Extended).Error);
        Assert.Equal("Too many words for `deploy`: `now`.", Failure("deploy 1.2.3 to web-1 now", Extended).Error);
    }
}
