using ChatOps.Agent.Tests.Support;

namespace ChatOps.Agent.Tests;

public sealed class AgentProgramTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly Dictionary<string, string> _environment = [];

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Bad_configuration_exits_2_with_one_line_per_problem_and_no_stack_trace()
    {
        var (code, output, error) = await Run("--server", "http://x", "--max-concurrent", "many", "--bogus");

        Assert.Equal(2, code);
        Assert.Equal("", output);
        var lines = error.TrimEnd('\n').Split('\n');
        Assert.Equal(
            ["unknown argument", "MaxConcurrent (--max-concurrent)", "ServerUrl", "Token", "ServerId"],
            lines.Select(l => l["chatops-agent: ".Length..]).Select(l => l[..l.IndexOf(l.StartsWith("unknown", StringComparison.Ordinal) ? " '" : ":", StringComparison.Ordinal)]));
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_prints_usage_and_exits_0()
    {
        var (code, output, _) = await Run("--help");

        Assert.Equal(0, code);
        Assert.Contains("--token-file FILE", output, StringComparison.Ordinal);
        Assert.Contains("--check-allowlist FILE", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_allowlist_prints_the_actions_with_their_argv()
    {
        var (code, output, _) = await Run("--check-allowlist", Path.Combine(AppContext.BaseDirectory, "allowlist.default.json"));

        Assert.Equal(0, code);
        Assert.Contains(": 4 action(s)", output, StringComparison.Ordinal);
        Assert.Contains("  df: /usr/bin/df -h  (timeout 30 s)", output, StringComparison.Ordinal);
        Assert.Contains("  echo: /usr/bin/echo {text}", output, StringComparison.Ordinal);
        Assert.Contains("text: text, required, at most 1000 chars", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_allowlist_reports_a_bad_file_and_exits_2()
    {
        var file = _temp.Write("bad.json", """{ "actions": { "echo": { "argv": ["echo", "{text}"], "params": [ { "name": "text", "type": "txt" } ] } } }""");

        var (code, _, error) = await Run("--check-allowlist", file);

        Assert.Equal(2, code);
        Assert.Equal($"chatops-agent: allowlist {file}: action 'echo': params[0].type: 'txt' is not one of word, text, integer, choice, path\n", error);
    }

    [Fact]
    public void The_token_can_come_from_a_file_so_it_stays_off_the_command_line()
    {
        var tokenFile = _temp.Write("token", "file-token\n");

        var fromFile = AgentCommandLine.Parse(["--token-file", tokenFile], _ => null);
        var fromFileVariable = AgentCommandLine.Parse([], name => name == AgentCommandLine.TokenFileVariable ? tokenFile : null);
        var fromVariable = AgentCommandLine.Parse([], name => name == AgentCommandLine.TokenVariable ? "env-token" : null);
        var flagWins = AgentCommandLine.Parse(["--token=flag-token"], name => name == AgentCommandLine.TokenVariable ? "env-token" : null);

        Assert.Equal("file-token", fromFile.Options!.Token);
        Assert.Equal("file-token", fromFileVariable.Options!.Token);
        Assert.Equal("env-token", fromVariable.Options!.Token);
        Assert.Equal("flag-token", flagWins.Options!.Token);
    }

    [Fact]
    public void Token_sources_that_conflict_or_cannot_be_read_are_problems()
    {
        var both = AgentCommandLine.Parse(["--token", "a", "--token-file", "/x"], _ => null);
        var unreadable = AgentCommandLine.Parse(["--token-file", "/no/such/token"], _ => null);

        Assert.Equal("Token: give --token or --token-file, not both", Assert.Single(both.Problems));
        Assert.StartsWith("Token (--token-file): cannot read /no/such/token", Assert.Single(unreadable.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Flags_map_onto_options()
    {
        var parsed = AgentCommandLine.Parse(
            ["--server", "ws://h/agents/connect", "--server-id", "web-3", "--token", "t", "--allowlist", "/a.json", "--state", "/s.json",
             "--max-output-bytes", "2048", "--max-concurrent", "2", "--workdir", "/tmp"],
            _ => null);

        var options = parsed.Options!;
        Assert.Empty(parsed.Problems);
        Assert.Equal(("ws://h/agents/connect", "web-3", "t", "/a.json", "/s.json", 2048L, 2, "/tmp"),
            (options.ServerUrl, options.ServerId, options.Token, options.AllowlistPath, options.StatePath, options.MaxOutputBytes, options.MaxConcurrent, options.WorkingDirectory));
    }

    private async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter { NewLine = "\n" };
        using var error = new StringWriter { NewLine = "\n" };
        var code = await AgentProgram.MainAsync(args, name => _environment.GetValueOrDefault(name), output, error);
        return (code, output.ToString(), error.ToString());
    }
}
