using ChatOps.Core.Commands;

namespace ChatOps.Core.Tests.Commands;

public class DurationParserTests
{
    [Theory]
    [InlineData("30s", 30)]
    [InlineData("15m", 15 * 60)]
    [InlineData("2h", 2 * 3600)]
    [InlineData("1d", 86_400)]
    [InlineData("1h30m", 5400)]
    [InlineData("1d12h", 129_600)]
    [InlineData("1d2h3m4s", 93_784)]
    [InlineData("90s", 90)]
    [InlineData(" 2H ", 7200)]
    [InlineData("366d", 366 * 86_400)]
    public void Parses_units_largest_first(string text, int seconds)
    {
        Assert.True(DurationParser.TryParse(text, out var duration));

        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("s")]
    [InlineData("1w")]
    [InlineData("30m1h")]
    [InlineData("1h1h")]
    [InlineData("1.5h")]
    [InlineData("-5m")]
    [InlineData("1h 30m")]
    [InlineData("0s")]
    [InlineData("367d")]
    [InlineData("9999999s")]
    [InlineData("99999999999999999999d")]
    [InlineData(null)]
    public void Refuses_anything_else(string? text)
    {
        Assert.False(DurationParser.TryParse(text, out var duration, out var error));

        Assert.Equal(TimeSpan.Zero, duration);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData(90, "1m30s")]
    [InlineData(5400, "1h30m")]
    [InlineData(86_400, "1d")]
    [InlineData(93_784, "1d2h3m4s")]
    [InlineData(0, "0s")]
    public void Formats_the_shortest_form(int seconds, string text)
    {
        Assert.Equal(text, DurationParser.Format(TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void Says_why_a_duration_is_refused()
    {
        DurationParser.TryParse("0s", out _, out var zero);
        DurationParser.TryParse("400d", out _, out var tooLong);

        Assert.Equal("`0s` is not a duration: it must be longer than 0s.", zero);
        Assert.Equal("`400d` is too long a duration (max 366d).", tooLong);
    }
}
