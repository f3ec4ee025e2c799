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

public sealed class GrafanaDashboardTests
{
    [Fact]
    public void The_dashboard_is_valid_json_and_queries_only_metrics_chatops_exports()
    {
        var exported = new[]
        {
            "chatops_commands_total", "chatops_command_duration_seconds_bucket", "chatops_agents_connected", "chatops_chat_requests_total",
            "chatops_rate_limited_total", "chatops_chat_api_errors_total", "chatops_alerts_firing", "chatops_bus_consumer_lag",
            "chatops_chat_rate_limit_wait_seconds_bucket", "chatops_chat_rate_limit_wait_seconds_sum", "chatops_dead_letters_total",
            "chatops_bus_offset_resets_total",
        };
        using var dashboard = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Yaml.RepoRoot, "deploy/grafana/chatops-dashboard.json")));

        var expressions = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();

        Assert.NotEmpty(expressions);
        foreach (var expression in expressions)
        {
            var names = System.Text.RegularExpressions.Regex.Matches(expression, "chatops_[a-z_]+").Select(m => m.Value);
            Assert.All(names, n => Assert.Contains(n, exported));
        }

        // Every series /metrics exports is charted somewhere.
        foreach (var series in new[] { "chatops_alerts_firing", "chatops_bus_consumer_lag", "chatops_chat_rate_limit_wait_seconds_bucket", "chatops_chat_api_errors_total", "chatops_dead_letters_total", "chatops_bus_offset_resets_total" })
            Assert.Contains(expressions, e => e.Contains(series, StringComparison.Ordinal));
    }
}
