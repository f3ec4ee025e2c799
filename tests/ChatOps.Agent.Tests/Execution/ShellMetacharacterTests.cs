using ChatOps.Agent.Tests.Support;
using ChatOps.Core.Agents;

namespace ChatOps.Agent.Tests.Execution;

/// <summary>Reliability-security test 7: metacharacters arrive as one literal argv element, and no shell runs.</summary>
public sealed class ShellMetacharacterTests
{
    private static readonly string Canary = $"/tmp/pwned-{Guid.NewGuid():N}";

    private static readonly string[] Values =
    [
        ";", "|", "&", "&&", "||", "`", "$( )", "${IFS}", ">", "<", ">>", "*", "?", "[a]", "~", "$VAR", "%VAR%", "^", "!",
        $"; touch {Canary}",
        $"| touch {Canary}",
        $"&& touch {Canary}",
        $"|| touch {Canary}",
        $"$(touch {Canary})",
        $"`touch {Canary}`",
        $"x > {Canary}",
        $"${{IFS}}touch${{IFS}}{Canary}",
        "$HOME ~root * /etc/*",
        "'quoted' \"double\" \\escaped",
        "{{7*7}} ${7*7} @(1+1) #{7*7}",
        "@/etc/passwd",
        "two words",
    ];

    public static TheoryData<string> Corpus() => new(Values);

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Each_value_arrives_as_one_literal_argv_element_and_nothing_else_runs(string value)
    {
        var print = Allowlists.Action(Allowlists.PrintJson, "print");
        var bound = print.Bind(null, [value]);
        var runs = new Runs();

        var outcome = await runs.RunAsync(bound.Command!).WaitAsync(TestGateway.Patience);

        Assert.Equal(ResultStatuses.Succeeded, outcome.Status);
        // printf '%s\n' prints each argv element on its own line: exactly one line, byte for byte.
        Assert.Equal(value + "\n", runs.Text("stdout"));
        Assert.False(File.Exists(Canary), "a shell ran the value");
    }

    [Theory]
    [InlineData("a\nb")]
    [InlineData("a\rb")]
    [InlineData("a\0b")]
    public void Line_breaks_and_NUL_are_refused_by_the_schema(string value)
    {
        var print = Allowlists.Action(Allowlists.PrintJson, "print");

        Assert.NotNull(print.Bind(null, [value]).Error);
    }

    [Fact]
    public void Word_parameters_refuse_metacharacters_outright()
    {
        var word = Allowlists.Action(Allowlists.PrintJson, "print-word");

        Assert.All(Values, value => Assert.NotNull(word.Bind(null, [value]).Error));
    }
}
