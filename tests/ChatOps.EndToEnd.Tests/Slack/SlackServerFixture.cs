using ChatOps.EndToEnd.Tests.Fixtures;

namespace ChatOps.EndToEnd.Tests.Slack;

/// <summary>
/// The real chatops process with Slack configured against <see cref="FakeSlackWebApi"/>, the Slack
/// user U024BE7LH made admin the documented way (<c>ChatOps:Bootstrap:Admins</c>), and a real agent.
/// </summary>
public sealed class SlackServerFixture : IAsyncLifetime
{
    public const string AdminSlackUser = "U024BE7LH";

    public FakeSlackWebApi Slack { get; } = new();
    public ChatOpsServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await ChatOpsServer.StartAsync(settings: new Dictionary<string, string>
        {
            ["ChatOps__Slack__SigningSecret"] = SignedSlack.Secret,
            ["ChatOps__Slack__BotToken"] = "xoxb-e2e-bot-token",
            ["ChatOps__Slack__ApiBaseUrl"] = Slack.ApiBaseUrl,
            ["ChatOps__Bootstrap__Admins"] = "slack:" + AdminSlackUser,
        });
        await Server.StartAgentAsync("web-1");
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Slack.DisposeAsync();
    }
}
