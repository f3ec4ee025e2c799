namespace ChatOps.EndToEnd.Tests.Fixtures;

public static class TestAllowlists
{
    /// <summary>uptime, echo and sleep: real programs, argv only.</summary>
    public const string Default = """
        {
          "actions": {
            "uptime": { "argv": ["uptime"] },
            "echo": { "argv": ["echo", "{text}"], "params": [ { "name": "text", "type": "text", "maxLength": 1000 } ] },
            "sleep": { "argv": ["sleep", "{seconds}"], "params": [ { "name": "seconds", "type": "integer", "min": 0, "max": 120 } ] }
          }
        }
        """;
}
