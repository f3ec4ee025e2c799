using ChatOps.Agent.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChatOps.Agent.Tests;

public sealed class AgentOptionsTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Good_options_have_no_problems()
    {
        Assert.Empty(Good().Validate());
    }

    [Fact]
    public void Missing_required_settings_are_each_named()
    {
        var problems = new AgentOptions().Validate();

        Assert.Equal(3, problems.Count);
        Assert.StartsWith("ServerUrl: is required", problems[0], StringComparison.Ordinal);
        Assert.StartsWith("Token: is required", problems[1], StringComparison.Ordinal);
        Assert.StartsWith("ServerId: is required", problems[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Every_bad_setting_is_reported_at_once_each_on_one_line_naming_its_key()
    {
        var options = new AgentOptions
        {
            ServerUrl = "http://example.com/agents/connect",
            Token = "has space",
            ServerId = "web 3",
            AllowlistPath = "/no/such/allowlist.json",
            StatePath = "/no/such/folder/state.json",
            MaxOutputBytes = 10,
            MaxConcurrent = 0,
            WorkingDirectory = "/no/such/workdir",
            ReconnectMinDelay = TimeSpan.Zero,
            ReconnectMaxDelay = TimeSpan.FromSeconds(-1),
            ConnectTimeout = TimeSpan.Zero,
        };

        var problems = options.Validate();

        string[] keys = ["ServerUrl", "Token", "ServerId", "AllowlistPath", "StatePath", "MaxOutputBytes", "MaxConcurrent", "WorkingDirectory", "ReconnectMinDelay", "ReconnectMaxDelay", "ConnectTimeout"];
        Assert.Equal(keys, problems.Select(p => p[..p.IndexOf(':', StringComparison.Ordinal)]));
        Assert.All(problems, p => Assert.DoesNotContain('\n', p));
    }

    [Fact]
    public void The_runner_refuses_to_start_with_all_problems_including_the_allowlist_and_state_file()
    {
        var options = Good();
        options.AllowlistPath = _temp.Write("bad.json", """{ "actions": { "x": { "argv": ["no-such-program-xyz"] } } }""");
        options.StatePath = _temp.Write("state.json", "not json");

        var error = Assert.Throws<AgentStartupException>(() => new AgentRunner(options, NullLoggerFactory.Instance, TimeProvider.System));

        Assert.Equal(2, error.Problems.Count);
        Assert.Contains("action 'x': argv[0]", error.Problems[0], StringComparison.Ordinal);
        Assert.StartsWith("StatePath: ", error.Problems[1], StringComparison.Ordinal);
    }

    [Fact]
    public void The_runner_announces_the_allowlisted_actions()
    {
        var runner = new AgentRunner(Good(), NullLoggerFactory.Instance, TimeProvider.System);

        Assert.Equal(["df", "echo", "free", "uptime"], runner.Actions);
    }

    private AgentOptions Good() => new()
    {
        ServerUrl = "ws://127.0.0.1:8080/agents/connect",
        Token = "agent-token",
        ServerId = "web-3",
        StatePath = _temp.File("state.json"),
    };
}
