using ChatOps.Core.Commands;
using ChatOps.Core.Domain;

namespace ChatOps.Core.Tests.Commands;

public class TargetSelectorTests
{
    private static readonly DateTimeOffset Created = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly Server[] Fleet =
    [
        new("web-3", null, ["role:web", "env:prod"], Created),
        new("web-1", "Web One", ["role:web", "env:staging"], Created),
        new("web-10", null, ["role:web"], Created),
        new("db-1", null, ["role:db", "env:prod"], Created),
        new("webby", null, [], Created),
    ];

    private static TargetSelector Parse(string expression)
    {
        Assert.True(TargetSelector.TryParse(expression, out var selector, out var error), error);
        return selector;
    }

    [Theory]
    [InlineData("web-1", TargetKind.Id, "web-1")]
    [InlineData(" Web-1 ", TargetKind.Id, "web-1")]
    [InlineData("web-*", TargetKind.Glob, "web-*")]
    [InlineData("*", TargetKind.Glob, "*")]
    [InlineData("role:web", TargetKind.Tag, "role:web")]
    [InlineData("Role:Web", TargetKind.Tag, "role:Web")]
    public void Parses_the_three_kinds(string expression, TargetKind kind, string normalised)
    {
        var selector = Parse(expression);

        Assert.Equal(kind, selector.Kind);
        Assert.Equal(normalised, selector.Expression);
        Assert.Equal(normalised, selector.ToString());
    }

    [Fact]
    public void A_tag_exposes_key_and_value()
    {
        var selector = Parse("env:prod");

        Assert.Equal("env", selector.TagKey);
        Assert.Equal("prod", selector.TagValue);
    }

    [Theory]
    [InlineData("web-1", new[] { "web-1" })]
    [InlineData("WEB-1", new[] { "web-1" })]
    [InlineData("web-*", new[] { "web-1", "web-10", "web-3" })]
    [InlineData("web-?", new[] { "web-1", "web-3" })]
    [InlineData("web*", new[] { "web-1", "web-10", "web-3", "webby" })]
    [InlineData("*-1*", new[] { "db-1", "web-1", "web-10" })]
    [InlineData("role:web", new[] { "web-1", "web-10", "web-3" })]
    [InlineData("ENV:PROD", new[] { "db-1", "web-3" })]
    [InlineData("role:cache", new string[0])]
    [InlineData("web-2", new string[0])]
    public void Selects_matching_servers_ordered_by_id(string expression, string[] ids)
    {
        Assert.Equal(ids, Parse(expression).Select(Fleet).Select(server => server.Id));
    }

    [Fact]
    public void A_glob_does_not_match_by_prefix_only()
    {
        Assert.False(Parse("web-1").Matches(Fleet[2]));
        Assert.False(Parse("web-?").Matches(Fleet[2]));
        Assert.True(Parse("web-??").Matches(Fleet[2]));
    }

    [Theory]
    [InlineData("", "The target is empty: give a server id (web-3), a glob (web-*) or a tag (role:web).")]
    [InlineData("web_3!", "`web_3!` is not a valid server id: use lowercase letters, digits and . _ -, starting with a letter or digit.")]
    [InlineData("-web", "`-web` is not a valid server id: use lowercase letters, digits and . _ -, starting with a letter or digit.")]
    [InlineData(".web", "`.web` is not a valid server id: use lowercase letters, digits and . _ -, starting with a letter or digit.")]
    [InlineData("web/1", "`web/1` is not a valid server id: use lowercase letters, digits and . _ -, starting with a letter or digit.")]
    [InlineData("web-[12]", "`web-[12]` is not a valid server id: use lowercase letters, digits and . _ -, starting with a letter or digit.")]
    [InlineData("web-{1,2}*", "`web-{1,2}*` is not a valid glob: use lowercase letters, digits, . _ - and the wildcards * and ? (e.g. web-*).")]
    [InlineData("role:", "`role:` is not a valid tag: use key:value with letters, digits and . _ - (e.g. role:web).")]
    [InlineData(":web", "`:web` is not a valid tag: use key:value with letters, digits and . _ - (e.g. role:web).")]
    [InlineData("role:web*", "`role:web*` is not a valid tag: use key:value with letters, digits and . _ - (e.g. role:web).")]
    [InlineData("a:b:c", "`a:b:c` is not a valid tag: use key:value with letters, digits and . _ - (e.g. role:web).")]
    [InlineData("wеb-1", "`wеb-1` contains non-Latin letter U+0435 (CYRILLIC SMALL LETTER IE); did you mean `web-1`?")]
    public void Refuses_bad_expressions_with_a_reason(string expression, string error)
    {
        Assert.False(TargetSelector.TryParse(expression, out var selector, out var actual));

        Assert.Null(selector);
        Assert.Equal(error, actual);
    }

    [Fact]
    public void Refuses_overlong_expressions()
    {
        Assert.True(TargetSelector.TryParse(new string('a', TargetSelector.MaxLength), out _, out _));
        Assert.False(TargetSelector.TryParse(new string('a', TargetSelector.MaxLength + 1), out _, out var error));
        Assert.Equal("The target is too long (max 253 characters).", error);
    }

    [Fact]
    public void Many_stars_match_without_blowing_up()
    {
        var selector = Parse(string.Concat(Enumerable.Repeat("a*", 100)) + "b");
        var server = new Server(new string('a', 200), null, [], Created);

        Assert.False(selector.Matches(server));
    }
}
