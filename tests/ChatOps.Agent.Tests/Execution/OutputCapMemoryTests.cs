using System.Diagnostics;
using ChatOps.Agent.Allowlist;
using ChatOps.Agent.Execution;
using ChatOps.Agent.Tests.Support;
using ChatOps.Core.Agents;
using Xunit.Abstractions;

namespace ChatOps.Agent.Tests.Execution;

[CollectionDefinition(nameof(SerialCollection), DisableParallelization = true)]
public sealed class SerialCollection;

/// <summary>Reliability-security test 12: endless output is capped, drained and costs bounded memory.</summary>
[Collection(nameof(SerialCollection))]
public sealed class OutputCapMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Endless_output_from_yes_is_capped_drained_until_the_timeout_and_costs_bounded_memory()
    {
        const long cap = 1024 * 1024;
        var runs = new Runs(new ActionRunnerOptions { MaxOutputBytes = cap });
        GC.Collect();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        using var self = Process.GetCurrentProcess();
        var residentBefore = self.WorkingSet64;

        var outcome = await runs.RunAsync(new BoundCommand("/usr/bin/yes", []), TimeSpan.FromSeconds(3)).WaitAsync(TestGateway.Patience);

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        self.Refresh();
        var residentGrowth = self.WorkingSet64 - residentBefore;
        output.WriteLine($"drained {outcome.OutputBytes / (1024 * 1024)} MiB; allocated {allocated / (1024 * 1024)} MiB; resident growth {residentGrowth / (1024 * 1024)} MiB");

        Assert.Equal(ResultStatuses.TimedOut, outcome.Status);
        Assert.True(outcome.Truncated);
        // yes kept writing for the whole timeout: the agent read (and dropped) many times the cap.
        Assert.True(outcome.OutputBytes > 50 * cap, $"only {outcome.OutputBytes} bytes drained");
        Assert.Equal(cap, runs.Text("stdout").Length);
        Assert.Equal($"\n[output truncated after {cap} bytes]\n", runs.Chunks[^1].Text);
        Assert.True(allocated < 64L * 1024 * 1024, $"{allocated} bytes allocated while draining");
        Assert.True(residentGrowth < 100L * 1024 * 1024, $"resident memory grew by {residentGrowth} bytes");
    }
}
