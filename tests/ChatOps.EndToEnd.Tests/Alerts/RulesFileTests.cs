using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests.Alerts;

/// <summary>The rules file is checked at start and reloaded on change; a bad edit is logged and changes nothing.</summary>
public sealed class RulesFileTests
{
    private static string Rule(string name, string threshold) => $"""
        rules:
          - name: {name}
            metric: cpu_percent
            target: role:web
            threshold: {threshold}
            for: 5m
            routes:
              - platform: web
                channel: ops
        schedules:
          - name: nightly-df
            cron: "0 0 3 * * ?"
            command: run role:web df
            route:
              platform: web
              channel: ops
        """;

    [Fact]
    public async Task A_changed_file_is_reloaded_and_a_bad_one_keeps_the_previous_rules()
    {
        var folder = Directory.CreateTempSubdirectory("chatops-rules-e2e-").FullName;
        var file = Path.Combine(folder, "alerts.yaml");
        await File.WriteAllTextAsync(file, Rule("cpu-a", "90"));
        await using var server = await ChatOpsServer.StartAsync(settings: new Dictionary<string, string>
        {
            ["ChatOps__Alerts__RulesFile"] = file,
            ["ChatOps__Alerts__RulesReloadInterval"] = "00:00:00.200",
        });
        Assert.Equal(["cpu-a"], await RuleNamesAsync(server));

        await ReplaceAsync(file, Rule("cpu-b", "ninety"));
        await Eventually.MatchAsync(() => Task.FromResult(server.Output), output => output.Contains("keeping the previous 1 rule(s)", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20), output => output ?? "");
        Assert.Contains("rule 'cpu-b' (#1): field 'threshold': 'ninety' is not a number", server.Output);
        Assert.Equal(["cpu-a"], await RuleNamesAsync(server));

        await ReplaceAsync(file, Rule("cpu-c", "95"));
        await Eventually.MatchAsync(() => RuleNamesAsync(server), names => names.SequenceEqual(["cpu-c"]), TimeSpan.FromSeconds(20),
            names => string.Join(",", names ?? []) + "\n" + server.Output);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task A_bad_file_at_start_stops_chatops_with_one_line_per_problem()
    {
        var folder = Directory.CreateTempSubdirectory("chatops-rules-e2e-").FullName;
        var file = Path.Combine(folder, "alerts.yaml");
        await File.WriteAllTextAsync(file, Rule("cpu-a", "90").Replace("for: 5m", "for: soon", StringComparison.Ordinal).Replace("0 0 3 * * ?", "every night", StringComparison.Ordinal));
        await using var process = ChildProcess.StartDotnet(Binaries.Server, ["--urls", "http://127.0.0.1:0"], new Dictionary<string, string>
        {
            ["ChatOps__Sqlite__Path"] = Path.Combine(folder, "chatops.db"),
            ["ChatOps__LocalAgent__Enabled"] = "false",
            ["ChatOps__Alerts__RulesFile"] = file,
        }, folder);

        Assert.Equal(2, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"chatops: configuration error: ChatOps:Alerts:RulesFile '{file}': rule 'cpu-a' (#1): field 'for':", process.Output);
        Assert.Contains("schedule 'nightly-df': field 'cron': 'every night' is not a Quartz cron expression", process.Output);
        Assert.DoesNotContain("   at ", process.Output);
        Directory.Delete(folder, recursive: true);
    }

    private static async Task<IReadOnlyList<string>> RuleNamesAsync(ChatOpsServer server) =>
        (await server.Http.GetFromJsonAsync<JsonElement>("/api/alerts/rules")).EnumerateArray()
            .Select(r => r.GetProperty("rule").GetProperty("name").GetString()!).ToList();

    // Written aside and moved in, as an editor or a config-management tool would, so no half file is read.
    private static async Task ReplaceAsync(string file, string content)
    {
        var temporary = file + ".tmp";
        await File.WriteAllTextAsync(temporary, content);
        File.Move(temporary, file, overwrite: true);
    }
}
