using System.Net.WebSockets;
using ChatOps.Agent.Tests.Support;
using ChatOps.Core.Agents;
using ChatOps.Core.Domain;
using Xunit.Abstractions;

namespace ChatOps.Agent.Tests.Connection;

public sealed class AgentConnectionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Hello_carries_the_bearer_token_server_id_protocol_version_and_allowlisted_actions()
    {
        await using var harness = AgentHarness.Start(output);

        var session = await harness.Gateway.NextSessionAsync();
        var hello = Assert.IsType<HelloFrame>(await session.ReceiveAsync());

        Assert.Equal("Bearer agent-token", session.Authorization);
        Assert.Equal(AgentHarness.ServerId, hello.ServerId);
        Assert.Equal(AgentProtocol.Version, hello.ProtocolVersion);
        Assert.Equal(["flood", "print", "sleep"], hello.Actions);
        Assert.False(string.IsNullOrEmpty(hello.Hostname));
        Assert.False(string.IsNullOrEmpty(hello.AgentVersion));
    }

    [Fact]
    public async Task A_dispatch_is_accepted_streams_output_and_ends_with_one_result()
    {
        await using var harness = AgentHarness.Start(output);
        var (session, _) = await harness.Gateway.NextWelcomedSessionAsync();

        await session.SendAsync(harness.Dispatch("cmd-1", "print", "hello; rm -rf /"));

        Assert.Equal("cmd-1", (await session.ReceiveUntilAsync<AcceptedFrame>()).CommandId);
        var frames = new List<AgentFrame>();
        var result = await session.ReceiveUntilAsync<ResultFrame>(seen: frames);
        var outputs = frames.OfType<OutputFrame>().ToList();
        Assert.Equal("hello; rm -rf /\n", string.Concat(outputs.Select(o => o.Text)));
        Assert.Equal(Enumerable.Range(1, outputs.Count).Select(i => (long)i), outputs.Select(o => o.Seq));
        Assert.All(outputs, o => Assert.Equal(("cmd-1", "stdout"), (o.CommandId, o.Stream)));
        Assert.Equal(("cmd-1", ResultStatuses.Succeeded, (int?)0, false, 16L), (result.CommandId, result.Status, result.ExitCode, result.Truncated, result.OutputBytes));
    }

    [Fact]
    public async Task Output_over_the_cap_is_truncated_with_a_marker_and_every_frame_fits()
    {
        await using var harness = AgentHarness.Start(output, maxOutputBytes: 4096);
        var (session, _) = await harness.Gateway.NextWelcomedSessionAsync();

        await session.SendAsync(harness.Dispatch("cmd-1", "flood", "200000"));

        var frames = new List<AgentFrame>();
        var result = await session.ReceiveUntilAsync<ResultFrame>(seen: frames);
        var outputs = frames.OfType<OutputFrame>().ToList();
        Assert.True(result.Truncated);
        Assert.Equal(ResultStatuses.Succeeded, result.Status);
        Assert.Equal(4096, outputs.Where(o => o.Stream == "stdout").Sum(o => o.Text.Length));
        Assert.Equal("\n[output truncated after 4096 bytes]\n", outputs[^1].Text);
    }

    [Fact]
    public async Task An_action_outside_the_local_allowlist_is_refused_and_nothing_runs()
    {
        await using var harness = AgentHarness.Start(output);
        var (session, _) = await harness.Gateway.NextWelcomedSessionAsync();

        await session.SendAsync(harness.Dispatch("cmd-1", "rm", "-rf", "/"));

        var rejected = await session.ReceiveUntilAsync<RejectedFrame>();
        Assert.Equal(("cmd-1", RejectReasons.NotAllowed), (rejected.CommandId, rejected.Reason));
        Assert.Contains(harness.Logs.Lines, l => l.Contains("refused action rm: not in allowlist", StringComparison.Ordinal));
        Assert.DoesNotContain(harness.Logs.Lines, l => l.Contains("accepted command", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stale_expired_and_malformed_dispatches_are_refused_with_their_reason_and_nothing_runs()
    {
        await using var harness = AgentHarness.Start(output);
        var (session, _) = await harness.Gateway.NextWelcomedSessionAsync();
        await session.SendAsync(harness.Dispatch("holder-b", "print", "b") with { FencingToken = 10 });
        await session.ReceiveUntilAsync<ResultFrame>();

        await session.SendAsync(harness.Dispatch("holder-a", "print", "a") with { FencingToken = 9 });
        await session.SendAsync(harness.Dispatch("late", "print", "x") with { FencingToken = 10, ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(-1) });
        await session.SendAsync(harness.Dispatch("holder-b", "print", "b") with { FencingToken = 10 });
        await session.SendAsync(harness.Dispatch("option", "print", "--output=/etc/x") with { FencingToken = 10 });

        var rejected = new List<RejectedFrame>();
        for (var i = 0; i < 4; i++)
        {
            rejected.Add(await session.ReceiveUntilAsync<RejectedFrame>());
        }

        Assert.Equal(
            [("holder-a", RejectReasons.StaleFencingToken), ("late", RejectReasons.Expired), ("holder-b", RejectReasons.Duplicate), ("option", RejectReasons.BadArguments)],
            rejected.Select(r => (r.CommandId, r.Reason)));
        Assert.Contains("must not start with '-'", rejected[3].Message, StringComparison.Ordinal);
        Assert.Single(harness.Logs.Lines, l => l.Contains("accepted command", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Beyond_max_concurrent_a_dispatch_is_refused_as_busy()
    {
        await using var harness = AgentHarness.Start(output, maxConcurrent: 1);
        var (session, _) = await harness.Gateway.NextWelcomedSessionAsync();

        await session.SendAsync(harness.Dispatch("cmd-1", "sleep", "600"));
        await session.ReceiveUntilAsync<AcceptedFrame>();
        await session.SendAsync(harness.Dispatch("cmd-2", "sleep", "600"));

        var rejected = await session.ReceiveUntilAsync<RejectedFrame>();
        Assert.Equal(("cmd-2", RejectReasons.Busy), (rejected.CommandId, rejected.Reason));
    }

    [Fact]
    public async Task A_cancel_frame_kills_the_command_and_its_result_says_cancelled()
    {
        await using var harness = AgentHarness.Start(output);
        var (session, _) = await harness.Gateway.NextWelcomedSessionAsync();
        await session.SendAsync(harness.Dispatch("cmd-1", "sleep", "600"));
        await session.ReceiveUntilAsync<AcceptedFrame>();

        await session.SendAsync(new CancelFrame("cmd-1"));

        var result = await session.ReceiveUntilAsync<ResultFrame>();
        Assert.Equal(("cmd-1", ResultStatuses.Cancelled), (result.CommandId, result.Status));
    }

    [Fact]
    public async Task Heartbeats_and_metrics_follow_the_intervals_from_welcome()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var harness = AgentHarness.Start(output, time);
        var (session, _) = await harness.Gateway.NextWelcomedSessionAsync(heartbeatSeconds: 5, metricsSeconds: 60);

        var heartbeat = await AdvanceUntil(time, TimeSpan.FromSeconds(5), session.ReceiveUntilAsync<HeartbeatFrame>());
        Assert.Equal(1, heartbeat.Seq);
        Assert.Equal(time.GetUtcNow(), heartbeat.At);

        var metrics = await AdvanceUntil(time, TimeSpan.FromSeconds(5), session.ReceiveUntilAsync<MetricsFrame>());
        Assert.Contains(metrics.Samples, s => s.Name == MetricNames.MemoryUsedPercent);
        Assert.Contains(metrics.Samples, s => s.Name == MetricNames.UptimeSeconds);
    }

    [Fact]
    public async Task After_the_server_drops_the_connection_the_agent_reconnects_and_says_hello_again()
    {
        await using var harness = AgentHarness.Start(output);
        var (first, _) = await harness.Gateway.NextWelcomedSessionAsync();

        first.Drop();

        var (second, hello) = await harness.Gateway.NextWelcomedSessionAsync();
        Assert.Equal(AgentHarness.ServerId, hello.ServerId);
        await second.SendAsync(harness.Dispatch("cmd-after", "print", "still here"));
        Assert.Equal("cmd-after", (await second.ReceiveUntilAsync<ResultFrame>()).CommandId);
    }

    [Fact]
    public async Task After_the_server_closes_the_connection_the_agent_reconnects()
    {
        await using var harness = AgentHarness.Start(output);
        var (first, _) = await harness.Gateway.NextWelcomedSessionAsync();

        await first.Socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "node shutting down", CancellationToken.None);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await first.ReceiveCloseAsync());
        await harness.Gateway.NextWelcomedSessionAsync();
        Assert.Contains(harness.Logs.Lines, l => l.Contains("closed by server (EndpointUnavailable node shutting down)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_disconnect_kills_running_commands_and_they_never_run_again()
    {
        await using var harness = AgentHarness.Start(output);
        var (first, _) = await harness.Gateway.NextWelcomedSessionAsync();
        var marker = Random.Shared.Next(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await first.SendAsync(harness.Dispatch("cmd-1", "sleep", marker));
        await first.ReceiveUntilAsync<AcceptedFrame>();
        Assert.Equal(2, await WaitForProcessCount(marker, expected: 2));

        first.Drop();

        Assert.Equal(0, await WaitForProcessCount(marker, expected: 0));
        var (second, _) = await harness.Gateway.NextWelcomedSessionAsync();
        await second.SendAsync(harness.Dispatch("cmd-1", "sleep", marker));
        var rejected = await second.ReceiveUntilAsync<RejectedFrame>();
        Assert.Equal(RejectReasons.Duplicate, rejected.Reason);
    }

    [Fact]
    public async Task Stopping_the_agent_cancels_running_commands_sends_their_results_and_closes_normally()
    {
        var harness = AgentHarness.Start(output);
        await using var _ = harness;
        var (session, _) = await harness.Gateway.NextWelcomedSessionAsync();
        await session.SendAsync(harness.Dispatch("cmd-1", "sleep", "600"));
        await session.ReceiveUntilAsync<AcceptedFrame>();

        var stopping = harness.StopAsync();

        var result = await session.ReceiveUntilAsync<ResultFrame>();
        Assert.Equal(("cmd-1", ResultStatuses.Cancelled), (result.CommandId, result.Status));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await session.ReceiveCloseAsync());
        await stopping;
    }

    public static TheoryData<string, WebSocketCloseStatus> BadFrames() => new()
    {
        { "{ not json", WebSocketCloseStatus.InvalidPayloadData },
        { """{"type":"shell","command":"rm -rf /"}""", WebSocketCloseStatus.InvalidPayloadData },
        { """{"commandId":"c1","action":"print"}""", WebSocketCloseStatus.InvalidPayloadData },
        { """{"type":"dispatch","action":"print","args":{},"positional":[],"fencingToken":1,"timeoutMs":1000}""", WebSocketCloseStatus.InvalidPayloadData },
        { """{"type":"hello","serverId":"web-3","protocolVersion":1,"agentVersion":"x","hostname":"h","actions":[]}""", WebSocketCloseStatus.ProtocolError },
        { new string(' ', AgentProtocol.MaxFrameBytes + 1), WebSocketCloseStatus.MessageTooBig },
    };

    [Theory]
    [MemberData(nameof(BadFrames))]
    public async Task A_bad_frame_closes_the_connection_with_a_reason_and_the_agent_starts_over(string frame, WebSocketCloseStatus expected)
    {
        await using var harness = AgentHarness.Start(output);
        var (session, _) = await harness.Gateway.NextWelcomedSessionAsync();

        await session.SendTextAsync(frame);

        Assert.Equal(expected, await session.ReceiveCloseAsync());
        Assert.Contains(harness.Logs.Lines, l => l.StartsWith("Error: protocol error from server", StringComparison.Ordinal));
        var (_, hello) = await harness.Gateway.NextWelcomedSessionAsync();
        Assert.Equal(AgentHarness.ServerId, hello.ServerId);
    }

    [Fact]
    public async Task A_binary_frame_is_refused_as_the_wrong_message_type()
    {
        await using var harness = AgentHarness.Start(output);
        var (session, _) = await harness.Gateway.NextWelcomedSessionAsync();

        await session.Socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await session.ReceiveCloseAsync());
    }

    [Fact]
    public async Task A_refused_token_is_logged_clearly_and_retried_with_backoff()
    {
        await using var harness = AgentHarness.Start(output, presentedToken: "wrong-token");

        await WaitFor(() => harness.Gateway.RefusedUpgrades >= 2);

        Assert.Contains(harness.Logs.Lines, l => l.Contains("refused the agent token (HTTP 401)", StringComparison.Ordinal));
        Assert.DoesNotContain(harness.Logs.Lines, l => l.Contains("wrong-token", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_error_frame_instead_of_welcome_is_logged_and_the_agent_tries_again_later()
    {
        await using var harness = AgentHarness.Start(output);
        var session = await harness.Gateway.NextSessionAsync();
        await session.ReceiveAsync();

        await session.SendAsync(new ErrorFrame("server id web-3 is not bound to this token"));

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await session.ReceiveCloseAsync());
        Assert.Contains(harness.Logs.Lines, l => l.Contains("server refused the agent: server id web-3 is not bound to this token", StringComparison.Ordinal));
        await harness.Gateway.NextWelcomedSessionAsync();
    }

    [Fact]
    public async Task A_welcome_for_another_protocol_version_is_refused()
    {
        await using var harness = AgentHarness.Start(output);
        var session = await harness.Gateway.NextSessionAsync();
        await session.ReceiveAsync();

        await session.SendAsync(new WelcomeFrame(AgentHarness.ServerId, "node-1", AgentProtocol.Version + 1, 15, 30));

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await session.ReceiveCloseAsync());
    }

    /// <summary>Moves the clock in steps until the awaited frame arrives (the timer may start a moment later).</summary>
    private static async Task<T> AdvanceUntil<T>(ManualTimeProvider time, TimeSpan step, Task<T> arrival)
    {
        var deadline = DateTime.UtcNow + TestGateway.Patience;
        while (!arrival.IsCompleted && DateTime.UtcNow < deadline)
        {
            time.Advance(step);
            await Task.WhenAny(arrival, Task.Delay(20));
        }

        return await arrival.WaitAsync(TimeSpan.Zero);
    }

    private static async Task<int> WaitForProcessCount(string argument, int expected)
    {
        var deadline = DateTime.UtcNow + TestGateway.Patience;
        int count;
        while ((count = ProcessTree.WithArgument(argument).Count) != expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        return count;
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TestGateway.Patience;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}
