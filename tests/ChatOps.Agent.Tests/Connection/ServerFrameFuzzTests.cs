using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using ChatOps.Agent.Tests.Support;
using ChatOps.Core.Agents;
using Xunit.Abstractions;

namespace ChatOps.Agent.Tests.Connection;

/// <summary>
/// Fuzzing of what a gateway may send to the agent: random and mutated frames (mostly dispatches with
/// hostile or missing fields) never crash the agent. After each one the agent either still answers on the
/// same connection, or closed it with a reason and connects again; no value ever reaches a shell (canary).
/// Most frames are correctly signed around the hostile content (so it reaches the parser and the guard); some are not.
/// Seeded: a failure names its seed and the frame.
/// </summary>
public sealed class ServerFrameFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 60;

    private static readonly string Canary = $"/tmp/pwned-agent-fuzz-{Guid.NewGuid():N}";

    private static readonly string[] Hostile =
    [
        "", " ", "x", "-x", "--", "--output=/etc/x", "-oProxyCommand=id", "@/etc/passwd", "../../etc/shadow", "%2e%2e%2f", "．．／",
        $"; touch {Canary}", $"$(touch {Canary})", $"`touch {Canary}`", $"| touch {Canary}", "${IFS}", "a\nb", "a\0b", "\u202E", "\u200B",
        "\uFEFF", "restаrt", "{{7*7}}", "${7*7}", "@(1+1)", "\u001B[2J", "<script>alert(1)</script>", new string('a', 2_000), "\uD800",
    ];

    private static readonly string[] Actions = ["print", "nope", "", "PRINT", "print ", "../print", "/usr/bin/printf", "sh", "print;id"];

    [Fact]
    public async Task Random_and_mutated_frames_never_crash_the_agent_and_run_nothing_unintended()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        await using var harness = AgentHarness.Start(output, maxConcurrent: 64);
        var (session, _) = await harness.Gateway.NextWelcomedSessionAsync();
        var closes = 0;

        for (var i = 0; i < Iterations; i++)
        {
            var frame = random.Next(8) == 0 ? Mutate(random, ValidDispatch(harness, $"m-{i}")) : RandomFrame(random, i);
            // Mostly correctly signed, so the hostile content gets past the signature check to the parser and the guard.
            var signed = random.Next(6) != 0;
            var context = $"seed {seed}, iteration {i}, {(signed ? "signed" : "unsigned")} frame {Shorten(frame)}";
            if (signed)
            {
                await session.SendSignedTextAsync(SignedPayload(session, frame));
            }
            else
            {
                await session.SendTextAsync(frame);
            }

            // A probe after each frame: on a live connection it is answered (accepted, or refused as a duplicate/stale/busy).
            var probe = $"probe-{i}";
            await session.SendAsync(harness.Dispatch(probe, "print", "probe"));
            if (await AnswerOrCloseAsync(session, probe) is { } status)
            {
                // The agent says why before it closes (the close frame itself may be cut short by its abort).
                closes++;
                Assert.True(ProtocolErrors(harness) == closes, $"closed ({status}) without logging a protocol error; {context}");
                Assert.False(harness.Running.IsCompleted, $"the agent stopped: {harness.Running.Exception?.GetBaseException()}; {context}");
                (session, _) = await harness.Gateway.NextWelcomedSessionAsync();
            }
        }

        Assert.False(harness.Running.IsCompleted, $"the agent stopped: {harness.Running.Exception?.GetBaseException()}; seed {seed}");
        Assert.False(File.Exists(Canary), $"a value reached a shell; seed {seed}");
        Assert.DoesNotContain(harness.Logs.Lines, l => l.StartsWith("Critical", StringComparison.Ordinal));
        output.WriteLine($"seed {seed}: {Iterations} frames, {closes} closes");

        // Still fully working: a real command runs and reports.
        // (With the highest possible fencing token: the fuzz may have had a huge one honoured.)
        await session.SendAsync(harness.Dispatch("final", "print", "still here") with { FencingToken = long.MaxValue });
        var result = await session.ReceiveUntilAsync<ResultFrame>(r => r.CommandId == "final");
        Assert.Equal(ResultStatuses.Succeeded, result.Status);
    }

    [Fact]
    public async Task A_timeout_beyond_what_a_TimeSpan_holds_is_capped_and_leaks_no_slot()
    {
        await using var harness = AgentHarness.Start(output, maxConcurrent: 1);
        var (session, _) = await harness.Gateway.NextWelcomedSessionAsync();

        await session.SendAsync(harness.Dispatch("huge", "print", "x") with { TimeoutMs = long.MaxValue });
        Assert.Equal(ResultStatuses.Succeeded, (await session.ReceiveUntilAsync<ResultFrame>(r => r.CommandId == "huge")).Status);

        // With one slot, a leaked slot would refuse this one as busy.
        await session.SendAsync(harness.Dispatch("after", "print", "y"));
        Assert.Equal(ResultStatuses.Succeeded, (await session.ReceiveUntilAsync<ResultFrame>(r => r.CommandId == "after")).Status);
    }

    private static int ProtocolErrors(AgentHarness harness) =>
        harness.Logs.Lines.Count(l => l.StartsWith("Error: protocol error from server", StringComparison.Ordinal));

    /// <summary>Null when the probe got an answer on this connection; the close status when the agent closed it.</summary>
    private static async Task<WebSocketCloseStatus?> AnswerOrCloseAsync(GatewaySession session, string probe)
    {
        while (true)
        {
            AgentFrame? frame;
            try
            {
                frame = await session.ReceiveAsync();
            }
            catch (WebSocketException)
            {
                return WebSocketCloseStatus.Empty;
            }

            switch (frame)
            {
                case null:
                    return session.CloseStatus ?? WebSocketCloseStatus.Empty;
                case AcceptedFrame a when a.CommandId == probe:
                case RejectedFrame r when r.CommandId == probe:
                    return null;
            }
        }
    }

    private static string RandomFrame(Random random, int i) => random.Next(20) switch
    {
        < 17 => Dispatch(random, i),
        17 => Json.Object(random, [("type", Json.Str("cancel")), ("commandId", Json.AnyOf(random, Json.Str($"m-{i}"), "null", "1", "[]"))]),
        18 => Json.Object(random, [("type", Json.Str(Pick(random, "error", "welcome", "hello", "output", "shell", "", "Dispatch"))), ("message", Json.Str(Pick(random, Hostile)))]),
        _ => Pick(random, "{", "[]", "null", "\"dispatch\"", "{}", "{\"type\":null}", new string('[', 100_000), "{\"type\":\"dispatch\",\"type\":\"cancel\"}"),
    };

    private static string Dispatch(Random random, int i)
    {
        var now = DateTimeOffset.UtcNow;
        // Mostly well-typed with hostile values, so most frames get past the parser to the guard; sometimes ill-typed.
        string Usually(string valid, params string[] wrong) => random.Next(40) == 0 ? Pick(random, wrong) : valid;
        var fields = new List<(string, string)>
        {
            ("type", Json.Str("dispatch")),
            ("commandId", Usually(Json.Str(random.Next(10) switch { < 7 => $"f-{i}", 7 => $"f-{i % 7}", 8 => "probe-0", _ => Pick(random, "", new string('c', 300)) }), "null", "42")),
            ("action", Usually(Json.Str(random.Next(3) == 0 ? Pick(random, Actions) : "print"), "null", "[]")),
            ("args", Usually(Json.Object(random, Enumerable.Range(0, random.Next(0, 3)).Select(_ => Pick(random, "value", "value", "x", "", "--")).Distinct().Select(name => (name, Json.Str(Pick(random, Hostile))))), "null", "[]", "{\"value\":null}")),
            ("positional", Usually(Json.Array(random, () => Json.Str(Pick(random, Hostile))), "null", "{}", "[null]", "[1]")),
            ("fencingToken", Usually(Pick(random, "1", "1", "0", "-1", "9223372036854775807"), "1e999", "\"1\"", "null")),
            ("timeoutMs", Usually(Pick(random, "60000", "0", "-5", "1", "86400000000", "9223372036854775807"), "null", "1.5")),
            ("issuedAt", Usually(Json.Str(now.ToString("O", CultureInfo.InvariantCulture)), "null", Json.Str("yesterday"))),
            ("expiresAt", Usually(Json.Str(now.AddMinutes(Pick(random, 5, 5, -5)).ToString("O", CultureInfo.InvariantCulture)), "null", "0")),
        };

        // Drop some fields, keep the type first or last (out-of-order metadata is allowed).
        var kept = fields.Skip(1).Where(_ => random.Next(60) != 0).ToList();
        if (random.Next(2) == 0) kept.Insert(0, fields[0]);
        else kept.Add(fields[0]);
        return Json.Object(random, kept);
    }

    /// <summary>A payload as the gateway signs it, around whatever <paramref name="frame"/> text is (valid JSON or not).</summary>
    private static string SignedPayload(GatewaySession session, string frame) =>
        Json.Object(new Random(0),
        [
            ("serverId", Json.Str(AgentHarness.ServerId)),
            ("connectionId", Json.Str(session.ConnectionId!)),
            ("nonce", Json.Str(AgentFrameSigner.NewNonce())),
            ("expiresAt", Json.Str(DateTimeOffset.UtcNow.AddSeconds(30).ToString("O", CultureInfo.InvariantCulture))),
            ("frame", frame),
        ]);

    private static string ValidDispatch(AgentHarness harness, string id) =>
        AgentProtocol.Serialize(harness.Dispatch(id, "print", "hello"));

    private static string Mutate(Random random, string json)
    {
        var text = new StringBuilder(json);
        for (var n = random.Next(1, 4); n > 0 && text.Length > 0; n--)
        {
            var at = random.Next(text.Length);
            var c = Pick(random, '"', '{', '}', '[', ']', ',', ':', '\\', 'n', '0', ' ', '-');
            switch (random.Next(3))
            {
                case 0: text[at] = c; break;
                case 1: text.Insert(at, c); break;
                default: text.Remove(at, 1); break;
            }
        }

        return text.ToString();
    }

    private static T Pick<T>(Random random, params T[] choices) => choices[random.Next(choices.Length)];

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "…" : text;

    private static class Json
    {
        public static string Str(string value) => JsonSerializer.Serialize(value);

        public static string AnyOf(Random random, params string[] values) => Pick(random, values);

        public static string Object(Random random, IEnumerable<(string Name, string Value)> fields) =>
            "{" + string.Join(',', fields.Select(f => $"{Str(f.Name)}:{f.Value}")) + "}";

        public static string Array(Random random, Func<string> element) =>
            "[" + string.Join(',', Enumerable.Range(0, random.Next(0, 4)).Select(_ => element())) + "]";
    }
}
