namespace ChatOps.Deploy.Tests;

public sealed class DeployFileTests
{
    private static string Read(string path) => File.ReadAllText(Path.Combine(Yaml.RepoRoot, path));

    [Theory]
    [InlineData("deploy/docker/server.Dockerfile")]
    [InlineData("deploy/docker/agent.Dockerfile")]
    public void Images_run_as_an_unprivileged_user(string dockerfile)
    {
        var lines = Read(dockerfile).Split('\n');

        var user = lines.Last(l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.NotEqual("USER root", user.Trim());
        Assert.DoesNotContain(lines, l => l.Contains("Password=", StringComparison.Ordinal));
    }

    [Fact]
    public void The_agent_unit_reads_its_token_from_a_file_and_is_hardened()
    {
        var unit = Read("deploy/systemd/chatops-agent.service");

        Assert.Contains("--token-file /etc/chatops/agent-token", unit);
        Assert.Contains("NoNewPrivileges=true", unit);
        Assert.Contains("User=chatops-agent", unit);
        Assert.DoesNotContain("--token ", unit);
    }

    [Fact]
    public void The_install_script_checks_the_allowlist_before_starting_the_agent()
    {
        var script = Read("deploy/install-agent.sh");

        Assert.StartsWith("#!/usr/bin/env bash", script);
        Assert.True(script.IndexOf("--check-allowlist", StringComparison.Ordinal) < script.IndexOf("systemctl enable", StringComparison.Ordinal));
    }
}
