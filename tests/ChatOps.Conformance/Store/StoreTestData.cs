using ChatOps.Core.Domain;

namespace ChatOps.Conformance.Store;

/// <summary>Records and assertions shared by the store suites.</summary>
public static class StoreTestData
{
    // Whole milliseconds: every adapter keeps at least that (PostgreSQL keeps microseconds).
    public static readonly DateTimeOffset T0 = new(2025, 3, 4, 5, 6, 7, 891, TimeSpan.Zero);

    public static DateTimeOffset At(int seconds) => T0.AddSeconds(seconds);

    /// <summary>A queued command with only the required fields set.</summary>
    public static CommandRecord Command(string id, string serverId = "web-1", DateTimeOffset? createdAt = null, string? requestId = null, CommandState state = CommandState.Queued) => new()
    {
        Id = id,
        RequestId = requestId ?? id,
        ServerId = serverId,
        CommandName = "restart",
        Text = $"/chatops restart {serverId}",
        Requester = new Requester("u-alice", "slack:T1/U2", "Alice"),
        ReplyTo = new ChatRef("web", "ops", null),
        State = state,
        Timeout = TimeSpan.FromSeconds(30),
        CreatedAt = createdAt ?? T0,
    };

    /// <summary>A command with every field set to something other than its default.</summary>
    public static CommandRecord FullCommand(string id) => new()
    {
        Id = id,
        RequestId = "req-fan-out",
        ServerId = "web-3",
        CommandName = "logs",
        Action = "journal.tail",
        Args = new Dictionary<string, string> { ["unit"] = "nginx", ["lines"] = "200", ["empty"] = "", ["quote"] = "a \"b\" \\ ünï\u202Ecode" },
        Text = "/chatops logs web-3 --unit nginx --lines 200",
        Requester = new Requester("u-bob", "teams:tenant-1/aad-2", "Bob O'Neil"),
        ReplyTo = new ChatRef("slack", "C024BE91L", "1700000000.000100", new Dictionary<string, string>
        {
            ["response_url"] = "https://hooks.slack.test/commands/T1/123/abc",
            ["team"] = "T1",
        }),
        State = CommandState.AwaitingApproval,
        FencingToken = 42,
        ExitCode = -3,
        Error = "agent said: no such unit",
        Timeout = TimeSpan.FromMinutes(5) + TimeSpan.FromMilliseconds(250),
        // A non-UTC offset: stores keep the instant (DateTimeOffset equality compares instants).
        CreatedAt = new DateTimeOffset(2025, 3, 4, 7, 6, 7, 891, TimeSpan.FromHours(2)),
        StartedAt = T0.AddMilliseconds(1500),
        FinishedAt = T0.AddMinutes(2),
    };

    /// <summary>Every field equal; dictionaries by content (records compare them by reference).</summary>
    public static void AssertSameCommand(CommandRecord expected, CommandRecord? actual)
    {
        Assert.NotNull(actual);
        AssertSameMap(expected.Args, actual.Args);
        Assert.Equal(expected.ReplyTo.Extra is null, actual.ReplyTo.Extra is null);
        if (expected.ReplyTo.Extra is not null)
        {
            AssertSameMap(expected.ReplyTo.Extra, actual.ReplyTo.Extra!);
        }

        // The rest by record equality, so a field added to CommandRecord later is compared too.
        var withSameMaps = actual with { Args = expected.Args, ReplyTo = actual.ReplyTo with { Extra = expected.ReplyTo.Extra } };
        Assert.Equal(expected, withSameMaps);
    }

    public static void AssertSameMap(IReadOnlyDictionary<string, string> expected, IReadOnlyDictionary<string, string> actual) =>
        Assert.Equal(
            expected.OrderBy(pair => pair.Key, StringComparer.Ordinal),
            actual.OrderBy(pair => pair.Key, StringComparer.Ordinal));

    public static void AssertSameServer(Server expected, Server? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Tags, actual.Tags);
        Assert.Equal(expected, actual with { Tags = expected.Tags });
    }

    public static void AssertSameUser(User expected, User? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Roles, actual.Roles);
        Assert.Equal(expected, actual with { Roles = expected.Roles });
    }
}
