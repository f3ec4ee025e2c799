using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests;

/// <summary>The zero-setup start: a local agent is enrolled and commands work at once.</summary>
public sealed class EmbeddedDefaultTests : IAsyncLifetime
{
    private ChatOpsServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await ChatOpsServer.StartAsync(localAgent: true);
        await _server.WaitAgentOnlineAsync("local");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("/chatops run uptime on local", "load average")]
    [InlineData("/chatops run echo hello on local", "hello")]
    [InlineData("/chatops run local df", "Filesystem")]
    public async Task Default_allowlist_commands_work_on_the_local_agent(string text, string expected)
    {
        var answer = await _server.SayAsync(text);

        var thread = await _server.WaitForThreadAsync(answer.ThreadId);
        Assert.Equal("succeeded", thread.Status);
        Assert.Contains(expected, thread.AllText);
    }

    [Fact]
    public async Task The_console_page_is_served_with_a_strict_content_security_policy()
    {
        using var response = await _server.Http.GetAsync("/");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Contains("ChatOps console", html);
        Assert.Contains("script-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.DoesNotContain("<script>", html);
    }
}
