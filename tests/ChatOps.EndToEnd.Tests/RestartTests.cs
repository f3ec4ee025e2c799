using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests;

public sealed class RestartTests : IAsyncLifetime
{
    private ChatOpsServer _server = null!;

    public async Task InitializeAsync() => _server = await ChatOpsServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Restarting_chatops_loses_no_command_history()
    {
        await _server.StartAgentAsync("web-5");
        var answer = await _server.SayAsync("run web-5 echo kept-across-restarts");
        var before = await _server.WaitForThreadAsync(answer.ThreadId);
        Assert.Equal("succeeded", before.Status);

        await _server.RestartAsync();

        var command = await _server.Http.GetFromJsonAsync<JsonElement>($"/api/commands/{answer.CommandId}");
        Assert.Equal("succeeded", command.GetProperty("state").GetString());
        var output = await _server.Http.GetStringAsync($"/api/commands/{answer.CommandId}/output");
        Assert.Contains("kept-across-restarts", output);
        var thread = await _server.ThreadAsync(answer.ThreadId);
        Assert.Equal(before.Messages.Count, thread.Messages.Count);
        var history = await _server.SayAsync("history");
        Assert.Contains($"#{answer.CommandId} succeeded", history.Text);
    }

    [Fact]
    public async Task The_local_agent_keeps_working_after_chatops_restarts()
    {
        await using var server = await ChatOpsServer.StartAsync(localAgent: true);
        await server.WaitAgentOnlineAsync("local");
        var before = await server.WaitForThreadAsync((await server.SayAsync("run uptime on local")).ThreadId);
        Assert.Equal("succeeded", before.Status);

        await server.RestartAsync();
        await server.WaitAgentOnlineAsync("local");

        // The agent remembers the highest fencing token it saw; the new process must grant larger ones.
        var after = await server.WaitForThreadAsync((await server.SayAsync("run uptime on local")).ThreadId);
        Assert.Equal("succeeded", after.Status);
    }
}
