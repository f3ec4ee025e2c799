using ChatOps.Teams.Internal;

namespace ChatOps.Teams.Tests;

public sealed class TeamsTextTests
{
    [Theory]
    [InlineData("<at>ChatOps</at> restart web-3 nginx", "restart web-3 nginx")]
    [InlineData("<at id=\"0\">ChatOps Bot</at>&nbsp;run uptime on web-1", "run uptime on web-1")]
    [InlineData("<p><at>ChatOps</at> status web-1</p>", "status web-1")]
    [InlineData("run web-1 echo &quot;a &amp; b&quot;", "run web-1 echo \"a & b\"")]
    [InlineData("run web-1 echo &lt;at&gt;x&lt;/at&gt;", "run web-1 echo <at>x</at>")]
    [InlineData("/chatops help", "/chatops help")]
    [InlineData("<at>ChatOps</at>", "")]
    [InlineData(null, "")]
    public void Command_text_loses_mentions_formatting_and_entities(string? text, string expected) =>
        Assert.Equal(expected, TeamsText.CommandText(text));

    [Fact]
    public void Output_cannot_close_its_code_block_early()
    {
        var block = TeamsText.CodeBlock("before\n```\n**not bold**\n");

        Assert.StartsWith("```\n", block, StringComparison.Ordinal);
        Assert.EndsWith("\n```", block, StringComparison.Ordinal);
        Assert.Equal(2, block.Split("```").Length - 1);
    }

    [Fact]
    public void Long_text_is_split_at_line_ends_into_pieces_that_fit()
    {
        var text = string.Concat(Enumerable.Range(0, 100).Select(i => $"line {i:000}\n"));

        var pieces = TeamsText.Split(text, 95).ToList();

        Assert.All(pieces, p => Assert.True(p.Length <= 95));
        Assert.All(pieces, p => Assert.EndsWith("\n", p, StringComparison.Ordinal));
        Assert.Equal(text, string.Concat(pieces));
    }

    [Fact]
    public void Request_ids_are_stable_per_activity_and_differ_between_activities()
    {
        var once = TeamsRequestIds.For("19:a@thread.tacv2;messageid=1", "1700000000001");

        Assert.Equal(once, TeamsRequestIds.For("19:a@thread.tacv2;messageid=1", "1700000000001"));
        Assert.NotEqual(once, TeamsRequestIds.For("19:a@thread.tacv2;messageid=1", "1700000000002"));
        Assert.NotEqual(once, TeamsRequestIds.For("19:b@thread.tacv2;messageid=1", "1700000000001"));
        Assert.Matches("^t[a-z2-7]{9}$", once);
    }
}
