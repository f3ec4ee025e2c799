using System.Text;
using System.Text.Json;
using ChatOps.Core.Agents;
using ChatOps.Core.Domain;
using CsCheck;

namespace ChatOps.Core.Tests.Routing;

/// <summary>
/// Fuzzing of what an enrolled agent may send to the gateway (reliability tests 13 and 16): random and
/// mutated frames are either refused by the parser with a <see cref="JsonException"/> (the one exception
/// the WebSocket endpoint turns into an error frame and a close), or handled by the gateway without an
/// exception; a frame the gateway refuses closes that session with a reason.
/// </summary>
public sealed class AgentFrameFuzzTests : IAsyncLifetime
{
    private RouterHarness _h = null!;

    public async Task InitializeAsync() => _h = await RouterHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public void Random_bytes_are_refused_with_a_json_exception_only()
    {
        Gen.Byte.Array[0, 200].Sample(bytes =>
        {
            try
            {
                AgentProtocol.Deserialize(bytes);
            }
            catch (JsonException)
            {
                // The refusal the endpoint expects.
            }
        }, iter: 3_000);
    }

    [Fact]
    public void Random_and_mutated_frames_are_refused_with_a_json_exception_only()
    {
        Gen.OneOf(AgentFrameGen.Frame("c-1"), AgentFrameGen.Mutated("c-1")).Sample(json =>
        {
            try
            {
                AgentProtocol.Deserialize(Encoding.UTF8.GetBytes(json));
            }
            catch (JsonException)
            {
                // The refusal the endpoint expects: no type, missing or null fields, bad JSON.
            }
        }, iter: 3_000);
    }

    [Fact]
    public Task Complete_frames_with_hostile_values_are_handled_by_the_gateway_without_an_exception() =>
        GatewaySurvivesAsync(inFlight => AgentFrameGen.Typed(inFlight).Select(AgentProtocol.Serialize));

    [Fact]
    public Task Frames_with_missing_fields_or_mutated_bytes_are_handled_by_the_gateway_without_an_exception() =>
        GatewaySurvivesAsync(inFlight => Gen.OneOf(AgentFrameGen.Frame(inFlight), AgentFrameGen.Mutated(inFlight)));

    private async Task GatewaySurvivesAsync(Func<string, Gen<string>> frames)
    {
        var session = await _h.ConnectAgentAsync("web-1");
        var inFlight = await _h.RequestAsync("run web-1 sleep 100");
        await session.NextAsync<DispatchFrame>();
        var connections = 1;
        var failures = new FailureLog();

        foreach (var json in Samples(frames(inFlight), 600))
        {
            AgentFrame frame;
            try
            {
                frame = AgentProtocol.Deserialize(Encoding.UTF8.GetBytes(json));
            }
            catch (JsonException)
            {
                continue;
            }
            catch (Exception e)
            {
                failures.Add("parser", json, e);
                continue;
            }

            try
            {
                if (frame is HelloFrame hello)
                {
                    // The endpoint hands a first frame to OnHelloAsync; a refused hello must close with a reason.
                    var fresh = new FakeAgentSession("web-1", $"conn-{++connections}");
                    if (await _h.Gateway.OnHelloAsync(fresh, hello, CancellationToken.None)) session = fresh;
                    else Assert.False(string.IsNullOrEmpty(fresh.ClosedBecause), $"hello refused without a reason: {json}");
                    continue;
                }

                if (!await _h.Gateway.OnFrameAsync(session, frame, CancellationToken.None))
                {
                    Assert.False(string.IsNullOrEmpty(session.ClosedBecause), $"frame refused without a reason: {json}");
                    await _h.Gateway.OnDisconnectedAsync(session, "protocol violation", CancellationToken.None);
                    session = await _h.ConnectAgentAsync("web-1", $"conn-{++connections}");
                }
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                failures.Add("gateway", json, e);
                await _h.Gateway.OnDisconnectedAsync(session, "test: crashed", CancellationToken.None);
                session = await _h.ConnectAgentAsync("web-1", $"conn-{++connections}");
            }
        }

        failures.AssertNone();
    }

    private static IEnumerable<string> Samples(Gen<string> gen, int count)
    {
        var samples = new List<string>(count);
        gen.Sample(s => samples.Add(s), iter: count, threads: 1);
        return samples;
    }
}

/// <summary>Generators of agent-protocol frames: plausible shapes with hostile values, and byte-level mutations of valid frames.</summary>
internal static class AgentFrameGen
{
    private static readonly string[] Types =
        ["hello", "heartbeat", "metrics", "accepted", "rejected", "output", "result", "welcome", "dispatch", "cancel", "error", "shell", "", "HELLO", "output "];

    private static readonly string[] Fields =
    [
        "commandId", "seq", "stream", "text", "status", "exitCode", "durationMs", "truncated", "outputBytes", "serverId", "protocolVersion",
        "agentVersion", "hostname", "actions", "at", "samples", "reason", "message", "action", "args", "positional", "fencingToken",
        "timeoutMs", "issuedAt", "expiresAt", "nodeId", "heartbeatSeconds", "metricsSeconds", "CommandId", "$type", "__proto__",
    ];

    private static readonly string[] Hostile =
    [
        "", " ", "web-1", "web-2", "db-1", "../../etc/shadow", "; rm -rf /", "$(id)", "`id`", "--output=/etc/x", "@/etc/passwd", "\u202Eexe.txt",
        "\u200B", "\uFEFF", "\0", "\u001B[31mred\u001B[0m", "<script>alert(1)</script>", "{{7*7}}", "${7*7}", "@(1+1)", "restаrt", "\uD800",
        "stdout", "stderr", "succeeded", "failed", "timed_out", "cancelled", "not_allowed", new string('x', 5_000),
    ];

    private static Gen<string> Value(string inFlight) => Gen.OneOf(
        Gen.Const("null"), Gen.Const("true"), Gen.Const("false"), Gen.Const("0"), Gen.Const("-1"), Gen.Const("1e999999"),
        Gen.Const("99999999999999999999999"), Gen.Const("1.5"), Gen.Const("[]"), Gen.Const("{}"), Gen.Const("[null]"),
        Gen.Const("\"2026-11-27T12:00:00Z\""), Gen.Const("\"not a time\""), Gen.Const(JsonSerializer.Serialize(inFlight)),
        Gen.Long.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Gen.OneOf(Hostile).Select(s => JsonSerializer.Serialize(s)),
        Gen.String[0, 20].Select(s => JsonSerializer.Serialize(s)),
        Gen.OneOf(Hostile).Array[0, 4].Select(a => JsonSerializer.Serialize(a)),
        Gen.Select(Gen.OneOf("name", "value", "x"), Gen.OneOf(Hostile)).Array[0, 3]
            .Select(pairs => "{" + string.Join(',', pairs.Select(p => $"{JsonSerializer.Serialize(p.Item1)}:{JsonSerializer.Serialize(p.Item2)}")) + "}"),
        Gen.Const("[{\"name\":\"cpu\",\"value\":1,\"labels\":{}}]"),
        Gen.Const(new string('[', 70) + new string(']', 70)));

    private static Gen<string> Text => Gen.OneOf(Gen.OneOf(Hostile), Gen.String[0, 20]);

    private static Gen<string> Id(string inFlight) => Gen.OneOf(Gen.Const(inFlight), Gen.Const(inFlight), Text);

    /// <summary>
    /// Every frame type, each with all its fields present and well typed but hostile values: ids of other
    /// commands, markup, escapes, huge numbers, server-only frames an agent may not send.
    /// </summary>
    public static Gen<AgentFrame> Typed(string inFlight)
    {
        var at = Gen.OneOf(Gen.Const(DateTimeOffset.MinValue), Gen.Const(DateTimeOffset.MaxValue), Gen.Const(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero)));
        var number = Gen.OneOf(Gen.Long, Gen.Const(long.MaxValue), Gen.Const(long.MinValue), Gen.Const(0L));
        var texts = Text.Array[0, 4].Select(a => (IReadOnlyList<string>)a);
        var labels = Gen.Select(Text, Text).Array[0, 3].Select(pairs => (IReadOnlyDictionary<string, string>)pairs.DistinctBy(p => p.Item1).ToDictionary(p => p.Item1, p => p.Item2));
        var sample = Gen.Select(Text, labels, Gen.OneOf(Gen.Double, Gen.Const(double.NaN), Gen.Const(double.PositiveInfinity)))
            .Select((name, l, value) => new MetricSample(name, l, double.IsFinite(value) ? value : 0));
        return Gen.OneOf<AgentFrame>(
            Gen.Select(Id(inFlight), number, Gen.OneOf(Gen.Const("stdout"), Gen.Const("stderr"), Text), Text).Select((id, seq, stream, text) => (AgentFrame)new OutputFrame(id, seq, stream, text)),
            Id(inFlight).Select(id => (AgentFrame)new AcceptedFrame(id)),
            Gen.Select(Id(inFlight), Text, Text).Select((id, reason, message) => (AgentFrame)new RejectedFrame(id, reason, message)),
            Gen.Select(Id(inFlight), Text, Gen.Int, number, Gen.Bool, number).Select((id, status, exit, ms, truncated, bytes) => (AgentFrame)new ResultFrame(id, status, exit, ms, truncated, bytes)),
            Gen.Select(number, at).Select((seq, when) => (AgentFrame)new HeartbeatFrame(seq, when)),
            Gen.Select(at, sample.Array[0, 600]).Select((when, samples) => (AgentFrame)new MetricsFrame(when, samples)),
            Gen.Select(Gen.OneOf(Gen.Const("web-1"), Text), Gen.Int[-1, 3], Text, Text, texts).Select((server, version, agent, host, actions) => (AgentFrame)new HelloFrame(server, version, agent, host, actions)),
            Gen.Select(Text, Text).Select((server, node) => (AgentFrame)new WelcomeFrame(server, node, 1, 15, 30)),
            Gen.Select(Id(inFlight), Text, texts, number).Select((id, action, positional, fence) => (AgentFrame)new DispatchFrame(id, action, new Dictionary<string, string>(), positional, fence, 1000, DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue)),
            Id(inFlight).Select(id => (AgentFrame)new CancelFrame(id)),
            Text.Select(message => (AgentFrame)new ErrorFrame(message)));
    }

    /// <summary>An object with a type (or none, or a wrong one) and a random choice of known fields with hostile values.</summary>
    public static Gen<string> Frame(string inFlight) =>
        Gen.Select(
            Gen.OneOf(Gen.OneOf(Types).Select(t => $"\"type\":{JsonSerializer.Serialize(t)}"), Gen.Const(""), Gen.Const("\"type\":1")),
            Gen.Select(Gen.OneOf(Fields), Value(inFlight)).Array[0, 9],
            Gen.Bool)
        .Select((type, fields, typeFirst) =>
        {
            var parts = fields.Select(f => $"{JsonSerializer.Serialize(f.Item1)}:{f.Item2}").ToList();
            if (type.Length > 0)
            {
                if (typeFirst) parts.Insert(0, type);
                else parts.Add(type);
            }

            return "{" + string.Join(',', parts) + "}";
        });

    /// <summary>A valid frame with a few bytes replaced, inserted or removed.</summary>
    public static Gen<string> Mutated(string inFlight)
    {
        var valid = Gen.OneOf(
            AgentProtocol.Serialize(new AcceptedFrame(inFlight)),
            AgentProtocol.Serialize(new OutputFrame(inFlight, 1, "stdout", "hello")),
            AgentProtocol.Serialize(new ResultFrame(inFlight, ResultStatuses.Succeeded, 0, 10, false, 5)),
            AgentProtocol.Serialize(new RejectedFrame(inFlight, RejectReasons.NotAllowed, "no")),
            AgentProtocol.Serialize(new HeartbeatFrame(1, DateTimeOffset.UnixEpoch)),
            AgentProtocol.Serialize(new HelloFrame("web-1", AgentProtocol.Version, "1", "h", ["uptime"])));
        var edit = Gen.Select(Gen.Int[0, 2], Gen.Int[0, 10_000], Gen.OneOf('"', '{', '}', '[', ']', ',', ':', '\\', 'n', '0', ' ', '\u00e9'));
        return Gen.Select(valid, edit.Array[1, 4]).Select((json, edits) =>
        {
            var text = new StringBuilder(json);
            foreach (var (kind, at, c) in edits)
            {
                if (text.Length == 0) break;
                var i = at % text.Length;
                switch (kind)
                {
                    case 0: text[i] = c; break;
                    case 1: text.Insert(i, c); break;
                    default: text.Remove(i, 1); break;
                }
            }

            return text.ToString();
        });
    }
}

/// <summary>Distinct failures by exception type and throwing method, each with the shortest input that caused it.</summary>
internal sealed class FailureLog
{
    private readonly Dictionary<string, string> _shortest = new(StringComparer.Ordinal);

    public void Add(string stage, string input, Exception e)
    {
        var site = $"{stage}: {e.GetType().Name} at {e.TargetSite?.DeclaringType?.Name}.{e.TargetSite?.Name} ({FirstOwnFrame(e)}): {e.Message.Split(" Path:")[0]}";
        if (!_shortest.TryGetValue(site, out var seen) || input.Length < seen.Length) _shortest[site] = input;
    }

    public void AssertNone() =>
        Assert.True(_shortest.Count == 0, string.Join("\n", _shortest.Select(kv => $"{kv.Key}\n    input: {kv.Value}")));

    private static string FirstOwnFrame(Exception e) =>
        new System.Diagnostics.StackTrace(e).GetFrames().Select(f => f.GetMethod()).FirstOrDefault(m => m?.DeclaringType?.Namespace?.StartsWith("ChatOps.", StringComparison.Ordinal) == true) is { } m
            ? $"{m.DeclaringType!.Name}.{m.Name}"
            : "?";
}
