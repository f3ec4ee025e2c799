using ChatOps.Slack.Internal;

namespace ChatOps.Slack.Tests;

public sealed class SlackTextTests
{
    [Theory]
    [InlineData("run web-1 echo <http://example.com|example.com>", "run web-1 echo example.com")]
    [InlineData("run web-1 echo <https://x.example/a?b=1&amp;c=2>", "run web-1 echo https://x.example/a?b=1&c=2")]
    [InlineData("<mailto:ops@example.com|ops@example.com>", "ops@example.com")]
    [InlineData("status in <#C0CHAN001|ops>", "status in #ops")]
    [InlineData("hey <!here>", "hey @here")]
    [InlineData("run web-1 echo &lt;b&gt; &amp;&amp; x", "run web-1 echo <b> && x")]
    [InlineData("run web-1 echo &amp;lt;", "run web-1 echo &lt;")]
    [InlineData("<@U0BOT0001> restart web-3 nginx", "<@U0BOT0001> restart web-3 nginx")]
    [InlineData("<@U0BOT0001|chatops> help", "<@U0BOT0001|chatops> help")]
    [InlineData("unclosed < bracket", "unclosed < bracket")]
    public void Slack_markup_is_turned_back_into_what_the_user_typed(string slack, string typed)
    {
        Assert.Equal(typed, SlackText.Unescape(slack));
    }

    [Fact]
    public void Outgoing_text_cannot_ping_or_link()
    {
        var escaped = SlackText.Escape("<!channel> <@U024BE7LH> <http://evil|click> a & b");
        Assert.Equal("&lt;!channel&gt; &lt;@U024BE7LH&gt; &lt;http://evil|click&gt; a &amp; b", escaped);
    }

    [Fact]
    public void Output_in_a_code_block_cannot_close_the_block()
    {
        var block = SlackText.CodeBlock("a\n```\n<!channel>\n");
        Assert.StartsWith("```\n", block);
        Assert.EndsWith("\n```", block);
        Assert.Equal(2, block.Split("```").Length - 1);
        Assert.Contains("&lt;!channel&gt;", block);
    }

    [Fact]
    public void Truncation_never_splits_a_surrogate_pair()
    {
        var text = new string('a', 9) + "😀tail";

        var cut = SlackText.Truncate(text, 11, "…");

        Assert.Equal(new string('a', 9) + "…", cut);
        Assert.DoesNotContain(cut, char.IsSurrogate);
    }
}
