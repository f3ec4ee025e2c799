using ChatOps.Agent.Allowlist;
using ChatOps.Agent.Tests.Support;

namespace ChatOps.Agent.Tests.Allowlist;

public sealed class AllowlistLoaderTests
{
    [Fact]
    public void Shipped_default_allowlist_maps_the_four_actions_to_fixed_argv()
    {
        var allowlist = AgentAllowlist.Load(Path.Combine(AppContext.BaseDirectory, "allowlist.default.json"));

        Assert.Equal(["df", "echo", "free", "uptime"], allowlist.ActionNames);
        Assert.True(allowlist.TryGet("df", out var df));
        Assert.Equal("df", Path.GetFileName(df.Program));
        Assert.True(Path.IsPathFullyQualified(df.Program));
        Assert.Equal(["-h"], df.Bind(null, null).Command!.Arguments);
        Assert.True(allowlist.TryGet("free", out var free));
        Assert.Equal(["-m"], free.Bind(null, null).Command!.Arguments);
        Assert.True(allowlist.TryGet("uptime", out var uptime));
        Assert.Empty(uptime.Bind(null, null).Command!.Arguments);
    }

    [Fact]
    public void Shipped_echo_takes_text_up_to_1000_characters_and_refuses_a_leading_dash()
    {
        var allowlist = AgentAllowlist.Load(Path.Combine(AppContext.BaseDirectory, "allowlist.default.json"));
        Assert.True(allowlist.TryGet("echo", out var echo));

        Assert.Equal(["hello world"], echo.Bind(null, ["hello", "world"]).Command!.Arguments);
        Assert.Contains("must not start with '-'", echo.Bind(null, ["-e", "\\x41"]).Error);
        Assert.Contains("longer than 1000", echo.Bind(null, [new string('a', 1001)]).Error);
        Assert.Null(echo.Bind(null, [new string('a', 1000)]).Error);
    }

    [Fact]
    public void Bare_program_names_are_resolved_on_PATH_at_load()
    {
        var action = Allowlists.Action("""{ "actions": { "t": { "argv": ["printf", "x"] } } }""", "t");

        Assert.Equal("/usr/bin/printf", action.Program);
    }

    [Theory]
    [InlineData("""{ "actions": { "bad": { "argv": ["echo", "{text}"], "params": [ { "name": "text", "type": "strng" } ] } } }""",
        "action 'bad': params[0].type: 'strng' is not one of word, text, integer, choice, path")]
    [InlineData("""{ "actions": { "bad": { "argv": ["no-such-program-xyz"] } } }""",
        "action 'bad': argv[0]: 'no-such-program-xyz' was not found on PATH")]
    [InlineData("""{ "actions": { "bad": { "argv": ["./relative"] } } }""",
        "action 'bad': argv[0]: './relative' must be an absolute path or a bare name found on PATH")]
    [InlineData("""{ "actions": { "bad": { "argv": ["{prog}"], "params": [ { "name": "prog", "type": "word" } ] } } }""",
        "action 'bad': argv[0]: must name the program")]
    [InlineData("""{ "actions": { "bad": { "argv": ["echo", "--name={text}"], "params": [ { "name": "text", "type": "text" } ] } } }""",
        "action 'bad': argv[1]: a placeholder must be the whole element")]
    [InlineData("""{ "actions": { "bad": { "argv": ["echo", "{other}"] } } }""",
        "action 'bad': argv[1]: placeholder {other} names no declared parameter")]
    [InlineData("""{ "actions": { "bad": { "argv": ["echo"], "params": [ { "name": "text", "type": "text" } ] } } }""",
        "action 'bad': argv: parameter 'text' is declared but has no {text} placeholder")]
    [InlineData("""{ "actions": { "bad": { "argv": ["ls", "{p}"], "params": [ { "name": "p", "type": "path", "root": "/no/such/folder" } ] } } }""",
        "action 'bad': params[0].root: '/no/such/folder' is not an existing absolute folder")]
    [InlineData("""{ "actions": { "bad": { "argv": ["ls", "{p}"], "params": [ { "name": "p", "type": "path" } ] } } }""",
        "action 'bad': params[0].root: a path parameter needs the absolute folder")]
    [InlineData("""{ "actions": { "bad": { "argv": ["echo", "{w}"], "params": [ { "name": "w", "type": "word", "pattern": "([a-z" } ] } } }""",
        "action 'bad': params[0].pattern: is not a valid regular expression")]
    [InlineData("""{ "actions": { "bad": { "argv": ["echo", "{c}"], "params": [ { "name": "c", "type": "choice" } ] } } }""",
        "action 'bad': params[0].values: a choice parameter needs a non-empty list of values")]
    [InlineData("""{ "actions": { "bad": { "argv": ["echo", "{w}"], "params": [ { "name": "w", "type": "word", "default": "-rf" } ] } } }""",
        "action 'bad': params[0].default: is not a valid value: parameter 'w' must not start with '-'")]
    [InlineData("""{ "actions": { "bad": { "argv": ["ls", "{w}", "-l"], "params": [ { "name": "w", "type": "word" } ], "endOfOptions": true } } }""",
        "action 'bad': argv[2]: an option after a placeholder would land after the inserted \"--\"")]
    [InlineData("""{ "actions": { "bad": { "argv": ["echo"], "timeoutSeconds": 0 } } }""",
        "action 'bad': timeoutSeconds: must be between 1 and 86400")]
    [InlineData("""{ "actions": { "Bad Name": { "argv": ["echo"] } } }""",
        "action 'Bad Name': name: must be 1-64 characters")]
    [InlineData("""{ "actions": { "bad": { "argv": [] } } }""",
        "action 'bad': argv: must list the program")]
    public void A_bad_action_is_refused_with_one_line_naming_the_action_and_field(string json, string expected)
    {
        var problems = Allowlists.Problems(json);

        var line = Assert.Single(problems);
        Assert.StartsWith("allowlist test.json: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public void Every_problem_in_the_file_is_reported_at_once()
    {
        var problems = Allowlists.Problems("""
            {
              "actions": {
                "one": { "argv": ["no-such-program-xyz"] },
                "two": { "argv": ["echo", "{x}"], "params": [ { "name": "x", "type": "number" } ] }
              }
            }
            """);

        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Contains("action 'one': argv[0]", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("action 'two': params[0].type", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{ "actions": { "a": { "argv": ["echo"], "timeoutSecond": 5 } } }""", "timeoutSecond")]
    [InlineData("""{ "actions": { "a": { "argv": ["echo"] }, "a": { "argv": ["df"] } } }""", "a")]
    [InlineData("""{ "actions": """, "actions")]
    [InlineData("""{ "acts": {} }""", "acts")]
    public void Malformed_json_unknown_fields_and_duplicate_actions_are_refused(string json, string mentioned)
    {
        var line = Assert.Single(Allowlists.Problems(json));

        Assert.StartsWith("allowlist test.json: ", line, StringComparison.Ordinal);
        Assert.Contains(mentioned, line, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_actions_object_is_refused()
    {
        var line = Assert.Single(Allowlists.Problems("{}"));

        Assert.Contains("'actions' is missing", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_one_clear_line()
    {
        var exception = Assert.Throws<AllowlistException>(() => AgentAllowlist.Load("/no/such/allowlist.json"));

        var line = Assert.Single(exception.Problems);
        Assert.StartsWith("allowlist /no/such/allowlist.json: cannot be read", line, StringComparison.Ordinal);
    }
}
