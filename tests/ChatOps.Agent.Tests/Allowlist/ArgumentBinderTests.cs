using ChatOps.Agent.Allowlist;
using ChatOps.Agent.Tests.Support;

namespace ChatOps.Agent.Tests.Allowlist;

public sealed class ArgumentBinderTests
{
    private const string Json = """
        {
          "actions": {
            "logs": {
              "argv": ["/usr/bin/printf", "%s\\n", "{unit}", "{lines}", "{level}", "{grep}"],
              "params": [
                { "name": "unit", "type": "word", "pattern": "[a-z0-9@._-]+\\.service" },
                { "name": "lines", "type": "integer", "min": 1, "max": 1000, "default": "100" },
                { "name": "level", "type": "choice", "values": ["info", "warning", "err"], "required": false },
                { "name": "grep", "type": "text", "required": false }
              ]
            },
            "files": {
              "argv": ["/usr/bin/printf", "%s\\n", "-v", "{mode}", "{names}"],
              "params": [ { "name": "mode", "type": "choice", "values": ["fast", "slow"] } ],
              "rest": { "name": "names", "type": "word" },
              "endOfOptions": true
            }
          }
        }
        """;

    private static AllowlistAction Logs => Allowlists.Action(Json, "logs");

    private static AllowlistAction Files => Allowlists.Action(Json, "files");

    [Fact]
    public void Named_values_bind_by_name_and_positionals_fill_the_rest_in_order()
    {
        var bound = Logs.Bind(new Dictionary<string, string> { ["lines"] = "20" }, ["nginx.service", "err"]);

        Assert.Null(bound.Error);
        Assert.Equal(["%s\\n", "nginx.service", "20", "err"], bound.Command!.Arguments);
    }

    [Fact]
    public void The_last_text_parameter_takes_the_remaining_positionals_joined_by_single_spaces()
    {
        var bound = Logs.Bind(null, ["nginx.service", "5", "info", "connection", "refused", "by", "peer"]);

        Assert.Equal(["%s\\n", "nginx.service", "5", "info", "connection refused by peer"], bound.Command!.Arguments);
    }

    [Fact]
    public void Defaults_fill_in_and_absent_optional_parameters_leave_no_element()
    {
        var bound = Logs.Bind(null, ["nginx.service"]);

        Assert.Equal(["%s\\n", "nginx.service", "100"], bound.Command!.Arguments);
    }

    [Fact]
    public void Missing_required_and_unknown_parameters_are_refused()
    {
        Assert.Equal("missing required parameter 'unit'", Logs.Bind(null, null).Error);
        Assert.Equal("unknown parameter 'user' for action 'logs'", Logs.Bind(new Dictionary<string, string> { ["unit"] = "a.service", ["user"] = "root" }, null).Error);
    }

    [Theory]
    [InlineData("nginx", "does not match the pattern")]
    [InlineData("nginx service.service", "must be one word")]
    [InlineData("", "must be one word")]
    public void Word_values_must_be_one_word_matching_the_pattern(string unit, string expected)
    {
        Assert.Contains(expected, Logs.Bind(new Dictionary<string, string> { ["unit"] = unit }, null).Error);
    }

    [Theory]
    [InlineData("0", "between 1 and 1000")]
    [InlineData("1001", "between 1 and 1000")]
    [InlineData("12abc", "whole number")]
    [InlineData("1e3", "whole number")]
    [InlineData("99999999999999999999", "whole number")]
    public void Integers_are_parsed_and_kept_in_range(string lines, string expected)
    {
        Assert.Contains(expected, Logs.Bind(new Dictionary<string, string> { ["unit"] = "a.service", ["lines"] = lines }, null).Error);
    }

    [Fact]
    public void Choices_accept_only_their_listed_values()
    {
        var args = new Dictionary<string, string> { ["unit"] = "a.service", ["level"] = "debug" };

        Assert.Equal("parameter 'level' must be one of: info, warning, err", Logs.Bind(args, null).Error);
    }

    [Fact]
    public void Extra_positionals_go_only_into_the_rest_parameter_as_separate_elements()
    {
        var bound = Files.Bind(null, ["fast", "a.txt", "b.txt", "-rf"]);

        Assert.Null(bound.Error);
        // "--" goes before the first value from a placeholder, so "-rf" is an operand, never an option.
        Assert.Equal(["%s\\n", "-v", "--", "fast", "a.txt", "b.txt", "-rf"], bound.Command!.Arguments);
    }

    [Fact]
    public void Extra_positionals_without_a_rest_parameter_are_refused()
    {
        var action = Allowlists.Action("""
            { "actions": { "one": { "argv": ["/usr/bin/printf", "{w}"], "params": [ { "name": "w", "type": "word" } ] } } }
            """, "one");

        Assert.Equal("too many arguments: action 'one' takes at most 1", action.Bind(null, ["a", "b"]).Error);
    }

    [Fact]
    public void A_rest_parameter_is_optional_unless_it_is_required()
    {
        var required = Allowlists.Action("""
            { "actions": { "a": { "argv": ["/usr/bin/printf", "{names}"], "rest": { "name": "names", "type": "word", "required": true } } } }
            """, "a");

        Assert.Equal(["%s\\n", "-v", "--", "fast"], Files.Bind(null, ["fast"]).Command!.Arguments);
        Assert.Equal("missing required parameter 'names'", required.Bind(null, null).Error);
        Assert.Equal(["x", "y"], required.Bind(null, ["x", "y"]).Command!.Arguments);
    }

    [Fact]
    public void Each_rest_value_is_checked()
    {
        Assert.Contains("must be one word", Files.Bind(null, ["fast", "ok", "not ok"]).Error);
    }

    [Theory]
    [InlineData("-n")]
    [InlineData("--output=/etc/x")]
    [InlineData("--upload-pack=touch /tmp/x")]
    [InlineData("-oProxyCommand=touch /tmp/x")]
    [InlineData("-")]
    public void Values_that_look_like_options_are_refused_unless_placed_after_dashes(string value)
    {
        var plain = Allowlists.Action(Allowlists.PrintJson, "print");
        var afterDashes = Allowlists.Action(Allowlists.PrintJson, "print-after-dashes");

        Assert.Contains("must not start with '-'", plain.Bind(null, [value]).Error);
        Assert.Equal(["%s\\n", "--", value], afterDashes.Bind(null, [value]).Command!.Arguments);
    }

    [Theory]
    [InlineData("a\nb", "control characters")]
    [InlineData("a\rb", "control characters")]
    [InlineData("a\0b", "NUL")]
    [InlineData("a\u001b[31mb", "control characters")]
    [InlineData("restart\u202Eetadpu", "bidirectional")]
    [InlineData("ab\u200Bc", "invisible")]
    [InlineData("\uFEFFabc", "invisible")]
    public void Control_invisible_and_invalid_characters_are_refused(string value, string expected)
    {
        var print = Allowlists.Action(Allowlists.PrintJson, "print");

        Assert.Contains(expected, print.Bind(null, [value]).Error);
    }

    [Fact]
    public void A_lone_surrogate_is_refused()
    {
        var print = Allowlists.Action(Allowlists.PrintJson, "print");

        Assert.Contains("lone surrogate", print.Bind(null, ["a" + (char)0xD800 + "b"]).Error);
    }

    [Fact]
    public void A_value_with_spaces_stays_one_argv_element()
    {
        var print = Allowlists.Action(Allowlists.PrintJson, "print");

        var bound = print.Bind(new Dictionary<string, string> { ["value"] = "a b  c" }, null);

        Assert.Equal(["%s\\n", "a b  c"], bound.Command!.Arguments);
    }
}
