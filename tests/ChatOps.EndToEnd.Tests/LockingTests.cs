using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests;

public sealed class LockingTests : IAsyncLifetime
{
    private ChatOpsServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await ChatOpsServer.StartAsync();
        await _server.StartAgentAsync("web-2");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Two_commands_on_one_server_never_run_at_the_same_time()
    {
        var first = await _server.SayAsync("run web-2 sleep 1");
        var second = await _server.SayAsync("run web-2 sleep 1");

        var firstThread = await _server.WaitForThreadAsync(first.ThreadId);
        var secondThread = await _server.WaitForThreadAsync(second.ThreadId);
        Assert.Equal("succeeded", firstThread.Status);
        Assert.Equal("succeeded", secondThread.Status);

        var a = await CommandAsync(first.CommandId!);
        var b = await CommandAsync(second.CommandId!);
        // The second started only after the first finished: the intervals do not overlap.
        Assert.True(b.Started >= a.Finished, $"second started {b.Started:O} before the first finished {a.Finished:O}");
        Assert.True(b.Fence > a.Fence, "the second grant carries a larger fencing token");
        Assert.Contains("is waiting", secondThread.AllText);
    }

    private async Task<(DateTimeOffset Started, DateTimeOffset Finished, long Fence)> CommandAsync(string id)
    {
        var json = await _server.Http.GetFromJsonAsync<JsonElement>($"/api/commands/{id}");
        return (json.GetProperty("startedAt").GetDateTimeOffset(), json.GetProperty("finishedAt").GetDateTimeOffset(), json.GetProperty("fencingToken").GetInt64());
    }
}
