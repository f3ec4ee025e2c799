using System.Text;
using ChatOps.Agent.Allowlist;
using ChatOps.Agent.Execution;
using ChatOps.Agent.Tests.Support;
using ChatOps.Core.Agents;

namespace ChatOps.Agent.Tests.Execution;

public sealed class ActionRunnerTests
{
    [Fact]
    public async Task Exit_zero_succeeds_and_non_zero_fails_with_its_code()
    {
        var runs = new Runs();

        var ok = await runs.RunAsync(new BoundCommand("/usr/bin/true", [])).WaitAsync(TestGateway.Patience);
        var bad = await runs.RunAsync(new BoundCommand("/usr/bin/ls", ["/no/such/folder"])).WaitAsync(TestGateway.Patience);

        Assert.Equal((ResultStatuses.Succeeded, 0), (ok.Status, ok.ExitCode));
        Assert.Equal(ResultStatuses.Failed, bad.Status);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("/no/such/folder", runs.Text("stderr"), StringComparison.Ordinal);
        Assert.Equal("", runs.Text("stdout"));
    }

    [Fact]
    public async Task Standard_input_is_closed_so_a_reader_of_stdin_ends_at_once()
    {
        var runs = new Runs();

        var outcome = await runs.RunAsync(new BoundCommand("/usr/bin/cat", [])).WaitAsync(TestGateway.Patience);

        Assert.Equal(ResultStatuses.Succeeded, outcome.Status);
        Assert.Equal(0, outcome.OutputBytes);
    }

    [Fact]
    public async Task A_program_that_cannot_start_fails_with_a_message_not_an_exception()
    {
        var runs = new Runs();

        var outcome = await runs.RunAsync(new BoundCommand("/no/such/program", [])).WaitAsync(TestGateway.Patience);

        Assert.Equal(ResultStatuses.Failed, outcome.Status);
        Assert.Null(outcome.ExitCode);
        Assert.StartsWith("could not start /no/such/program", runs.Text("stderr"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_start_in_the_configured_working_directory()
    {
        using var temp = new TempFolder();
        var runs = new Runs(new ActionRunnerOptions { WorkingDirectory = temp.Path });

        await runs.RunAsync(new BoundCommand("/usr/bin/pwd", ["-P"])).WaitAsync(TestGateway.Patience);

        Assert.Equal(PathConfinement.CanonicalRoot(temp.Path), runs.Text("stdout").TrimEnd('\n'));
    }

    [Fact]
    public async Task The_agent_token_is_not_passed_on_to_commands()
    {
        Environment.SetEnvironmentVariable("CHATOPS_AGENT_TOKEN", "secret-token-value");
        try
        {
            var runs = new Runs();

            await runs.RunAsync(new BoundCommand("/usr/bin/env", [])).WaitAsync(TestGateway.Patience);

            Assert.Contains("PATH=", runs.Text("stdout"), StringComparison.Ordinal);
            Assert.DoesNotContain("secret-token-value", runs.Text("stdout"), StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("CHATOPS_AGENT_TOKEN", null);
        }
    }

    [Fact]
    public async Task Invalid_utf8_becomes_replacement_characters_and_split_sequences_decode_whole()
    {
        // Three-byte chunks split every two-byte 'é' somewhere; the decoder must carry the halves over.
        var runs = new Runs(new ActionRunnerOptions { ChunkBytes = 3 });

        await runs.RunAsync(new BoundCommand("/usr/bin/printf", ["\\377ok \\303\\251\\303\\251\\303\\251 \\033[31mred\\n"])).WaitAsync(TestGateway.Patience);

        // Nothing is stripped: the escape sequence is the server's to escape when it shows it.
        Assert.Equal("\uFFFDok ééé \u001b[31mred\n", runs.Text("stdout"));
    }

    [Fact]
    public async Task Output_is_streamed_in_bounded_chunks_that_always_fit_in_a_frame()
    {
        var runs = new Runs();

        // NUL bytes are the worst case for JSON: each becomes six characters (\u0000).
        var outcome = await runs.RunAsync(new BoundCommand("/usr/bin/head", ["-c", "100000", "/dev/zero"])).WaitAsync(TestGateway.Patience);

        Assert.Equal(100_000, outcome.OutputBytes);
        Assert.Equal(100_000, runs.Text("stdout").Length);
        Assert.True(runs.Chunks.Count >= 13, $"{runs.Chunks.Count} chunks for 100,000 bytes");
        Assert.All(runs.Chunks, chunk =>
        {
            Assert.True(Encoding.UTF8.GetByteCount(chunk.Text) <= 8 * 1024);
            var frame = AgentProtocol.Serialize(new OutputFrame(Guid.NewGuid().ToString(), long.MaxValue, chunk.Stream, chunk.Text));
            Assert.True(Encoding.UTF8.GetByteCount(frame) <= AgentProtocol.MaxFrameBytes);
        });
    }

    [Fact]
    public async Task Worst_case_chunk_of_replacement_characters_still_fits_in_a_frame()
    {
        // 8 KiB of invalid bytes decode to 8 Ki U+FFFD characters, each escaped as \uFFFD.
        var runs = new Runs();
        var format = string.Concat(Enumerable.Repeat("\\377", 8 * 1024));

        await runs.RunAsync(new BoundCommand("/usr/bin/printf", [format])).WaitAsync(TestGateway.Patience);

        var text = runs.Text("stdout");
        Assert.Equal(8 * 1024, text.Length);
        Assert.All(runs.Chunks, chunk => Assert.True(
            Encoding.UTF8.GetByteCount(AgentProtocol.Serialize(new OutputFrame("c", 1, chunk.Stream, chunk.Text))) <= AgentProtocol.MaxFrameBytes));
    }

    [Fact]
    public async Task Output_beyond_the_cap_is_drained_so_the_command_finishes_and_a_marker_is_sent()
    {
        const long cap = 64 * 1024;
        var runs = new Runs(new ActionRunnerOptions { MaxOutputBytes = cap });

        // About 6.9 MB: without draining, seq would block on a full pipe and never exit.
        var outcome = await runs.RunAsync(new BoundCommand("/usr/bin/seq", ["1", "1000000"])).WaitAsync(TestGateway.Patience);

        var expectedBytes = Enumerable.Range(1, 1_000_000).Sum(n => (long)n.ToString(System.Globalization.CultureInfo.InvariantCulture).Length + 1);
        Assert.Equal(ResultStatuses.Succeeded, outcome.Status);
        Assert.True(outcome.Truncated);
        Assert.Equal(expectedBytes, outcome.OutputBytes);
        var stdout = runs.Text("stdout");
        Assert.Equal(cap, stdout.Length);
        Assert.StartsWith("1\n2\n3\n", stdout, StringComparison.Ordinal);
        var last = runs.Chunks[^1];
        Assert.Equal(("stderr", $"\n[output truncated after {cap} bytes]\n"), (last.Stream, last.Text));
        Assert.Single(runs.Chunks, c => c.Text.Contains("[output truncated", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Timeout_kills_the_whole_process_tree()
    {
        var time = new ManualTimeProvider();
        var runs = new Runs(time: time);
        var started = new TaskCompletionSource<int>();

        // timeout(1) forks sleep as its child; killing only the parent would leave sleep running.
        var run = runs.RunAsync(new BoundCommand("/usr/bin/timeout", ["600", "/usr/bin/sleep", "600"]), TimeSpan.FromSeconds(5), started: pid => started.SetResult(pid));
        var pid = await started.Task.WaitAsync(TestGateway.Patience);
        var child = Assert.Single(await ProcessTree.WaitForChildrenAsync(pid));
        Assert.True(ProcessTree.IsAlive(child));

        time.Advance(TimeSpan.FromSeconds(5));
        var outcome = await run.WaitAsync(TestGateway.Patience);

        Assert.Equal(ResultStatuses.TimedOut, outcome.Status);
        Assert.Equal(TimeSpan.FromSeconds(5), outcome.Duration);
        await ProcessTree.WaitUntilGoneAsync(child);
        Assert.False(ProcessTree.IsAlive(child), $"child {child} of the timed-out command is still running");
        Assert.False(ProcessTree.IsAlive(pid));
    }

    [Fact]
    public async Task Cancel_kills_the_whole_process_tree_and_reports_cancelled()
    {
        var runs = new Runs();
        var started = new TaskCompletionSource<int>();
        using var cancel = new CancellationTokenSource();

        var run = runs.RunAsync(new BoundCommand("/usr/bin/timeout", ["600", "/usr/bin/sleep", "600"]), TimeSpan.FromMinutes(10), cancel.Token, pid => started.SetResult(pid));
        var pid = await started.Task.WaitAsync(TestGateway.Patience);
        var child = Assert.Single(await ProcessTree.WaitForChildrenAsync(pid));
        await cancel.CancelAsync();
        var outcome = await run.WaitAsync(TestGateway.Patience);

        Assert.Equal(ResultStatuses.Cancelled, outcome.Status);
        await ProcessTree.WaitUntilGoneAsync(child);
        Assert.False(ProcessTree.IsAlive(child));
    }

    [Fact]
    public async Task Output_is_streamed_while_the_command_still_runs()
    {
        using var temp = new TempFolder();
        var log = temp.Write("app.log", "first line\n");
        var runs = new Runs { Watch = c => c.Text.Contains("first line", StringComparison.Ordinal) };
        using var cancel = new CancellationTokenSource();

        // tail -f prints the line and then waits for more, forever: the chunk must not wait for the exit.
        var run = runs.RunAsync(new BoundCommand("/usr/bin/tail", ["-n", "1", "-f", log]), TimeSpan.FromMinutes(10), cancel.Token);
        var chunk = await runs.Watched.Task.WaitAsync(TestGateway.Patience);

        Assert.Equal(("stdout", "first line\n"), (chunk.Stream, chunk.Text));
        Assert.False(run.IsCompleted);
        await cancel.CancelAsync();
        Assert.Equal(ResultStatuses.Cancelled, (await run.WaitAsync(TestGateway.Patience)).Status);
    }
}
