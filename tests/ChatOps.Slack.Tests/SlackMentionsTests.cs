using ChatOps.Slack.Internal;

namespace ChatOps.Slack.Tests;

/// <summary>An escalation's mention becomes a Slack mention only when Slack can resolve it (an id or a special mention).</summary>
public sealed class SlackMentionsTests
{
    [Theory]
    [InlineData("U0ONCALL1", "<@U0ONCALL1>")]
    [InlineData("@W0ONCALL1", "<@W0ONCALL1>")]
    [InlineData("S0ONCALLS", "<!subteam^S0ONCALLS>")]
    [InlineData("@here", "<!here>")]
    [InlineData("@Channel", "<!channel>")]
    [InlineData("<@U0ONCALL1>", "<@U0ONCALL1>")]
    [InlineData("<!subteam^S0ONCALLS>", "<!subteam^S0ONCALLS>")]
    [InlineData("@oncall-web", "@oncall-web")]
    [InlineData("<!subteam^S0X|@x> <!channel>", "&lt;!subteam^S0X|@x&gt; &lt;!channel&gt;")]
    [InlineData("<https://evil.example|click>", "&lt;https://evil.example|click&gt;")]
    public void Renders_what_slack_can_resolve_and_escapes_the_rest(string mention, string expected) =>
        Assert.Equal(expected, SlackMentions.Render(mention));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void No_mention_renders_nothing(string? mention) => Assert.Null(SlackMentions.Render(mention));
}
