using ChatOps.Agent.Allowlist;

namespace ChatOps.Agent.Tests.Support;

internal static class Allowlists
{
    public static AgentAllowlist Parse(string json) =>
        AllowlistLoader.Parse(json, "test.json", Environment.GetEnvironmentVariable("PATH"));

    public static AllowlistAction Action(string json, string name)
    {
        Assert.True(Parse(json).TryGet(name, out var action), $"action {name} not loaded");
        return action;
    }

    /// <summary>The problems a bad allowlist is refused with.</summary>
    public static IReadOnlyList<string> Problems(string json) =>
        Assert.Throws<AllowlistException>(() => Parse(json)).Problems;

    /// <summary>printf '%s\n' VALUE: prints its argument back, one line per argv element.</summary>
    public const string PrintJson = """
        {
          "actions": {
            "print": {
              "argv": ["/usr/bin/printf", "%s\\n", "{value}"],
              "params": [ { "name": "value", "type": "text", "maxLength": 1000 } ]
            },
            "print-after-dashes": {
              "argv": ["/usr/bin/printf", "%s\\n", "{value}"],
              "params": [ { "name": "value", "type": "text" } ],
              "endOfOptions": true
            },
            "print-word": {
              "argv": ["/usr/bin/printf", "%s\\n", "{value}"],
              "params": [ { "name": "value", "type": "word" } ]
            }
          }
        }
        """;
}
