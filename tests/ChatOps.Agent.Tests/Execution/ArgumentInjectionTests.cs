using ChatOps.Agent.Tests.Support;
using ChatOps.Core.Agents;

namespace ChatOps.Agent.Tests.Execution;

/// <summary>Reliability-security test 8: option-looking values are refused, or land after "--".</summary>
public sealed class ArgumentInjectionTests
{
    [Theory]
    [InlineData("-n")]
    [InlineData("--version")]
    [InlineData("--output=/etc/x")]
    [InlineData("--upload-pack=touch /tmp/x")]
    [InlineData("-oProxyCommand=touch /tmp/x")]
    public async Task Refused_without_end_of_options_and_literal_after_dashes_with_it(string value)
    {
        var plain = Allowlists.Action(Allowlists.PrintJson, "print");
        var afterDashes = Allowlists.Action(Allowlists.PrintJson, "print-after-dashes");
        Assert.Contains("must not start with '-'", plain.Bind(null, [value]).Error);

        var runs = new Runs();
        var outcome = await runs.RunAsync(afterDashes.Bind(null, [value]).Command!).WaitAsync(TestGateway.Patience);

        // printf echoes its argv: the program saw "--" and then the value, as one element.
        Assert.Equal(ResultStatuses.Succeeded, outcome.Status);
        Assert.Equal($"--\n{value}\n", runs.Text("stdout"));
    }

    [Fact]
    public async Task The_shipped_echo_never_reads_user_text_as_an_option()
    {
        var echo = Allowlists.Action(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "allowlist.default.json")), "echo");
        Assert.NotNull(echo.Bind(null, ["-e", "a\\tb"]).Error);

        var runs = new Runs();
        var outcome = await runs.RunAsync(echo.Bind(null, ["a\\tb", "-n"]).Command!).WaitAsync(TestGateway.Patience);

        Assert.Equal(ResultStatuses.Succeeded, outcome.Status);
        Assert.Equal("a\\tb -n\n", runs.Text("stdout"));
    }
}
