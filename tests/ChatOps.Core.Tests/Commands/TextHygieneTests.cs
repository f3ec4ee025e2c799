using ChatOps.Core.Commands;

namespace ChatOps.Core.Tests.Commands;

public class TextHygieneTests
{
    [Theory]
    // bidirectional controls (Trojan Source)
    [InlineData(0x202A)]
    [InlineData(0x202B)]
    [InlineData(0x202C)]
    [InlineData(0x202D)]
    [InlineData(0x202E)]
    [InlineData(0x2066)]
    [InlineData(0x2067)]
    [InlineData(0x2068)]
    [InlineData(0x2069)]
    [InlineData(0x200E)]
    [InlineData(0x200F)]
    [InlineData(0x061C)]
    // zero-width and invisible
    [InlineData(0x200B)]
    [InlineData(0x200C)]
    [InlineData(0x200D)]
    [InlineData(0x2060)]
    [InlineData(0xFEFF)]
    [InlineData(0xFE00)]
    [InlineData(0xFE0F)]
    [InlineData(0xE0100)]
    [InlineData(0xE0041)]
    [InlineData(0x00AD)]
    [InlineData(0x3164)]
    public void Rejects_invisible_and_direction_changing_characters_naming_them_escaped(int codePoint)
    {
        var text = "restart " + char.ConvertFromUtf32(codePoint) + "web-3 nginx";

        Assert.False(TextHygiene.TryNormalize(text, out _, out var error));

        Assert.StartsWith("Command text contains an invisible or direction-changing character (", error, StringComparison.Ordinal);
        Assert.Contains($"({TextHygiene.Escape(char.ConvertFromUtf32(codePoint))}) at position 9; retype it.", error, StringComparison.Ordinal);
        Assert.True(TextHygiene.TryNormalize(error, out _, out _), "the error itself must not carry the character");
    }

    [Fact]
    public void Names_the_right_override_exactly()
    {
        Assert.False(TextHygiene.TryNormalize("restart\u202E web-3", out _, out var error));

        Assert.Equal("Command text contains an invisible or direction-changing character (\\u202E) at position 8; retype it.", error);
    }

    [Theory]
    [InlineData(0x0000)]
    [InlineData(0x0007)]
    [InlineData(0x001B)]
    [InlineData(0x007F)]
    [InlineData(0x009B)]
    public void Rejects_control_characters(int codePoint)
    {
        Assert.False(TextHygiene.TryNormalize("logs web-3 " + (char)codePoint, out _, out var error));

        Assert.Equal($"Command text contains a control character (\\u{codePoint:X4}) at position 12; retype it.", error);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r")]
    [InlineData("\u0085")]
    [InlineData("\u2028")]
    [InlineData("\u2029")]
    public void Rejects_line_breaks(string lineBreak)
    {
        Assert.False(TextHygiene.TryNormalize("run web-1 echo" + lineBreak + "reboot", out _, out var error));

        Assert.Contains("a line break", error, StringComparison.Ordinal);
        Assert.EndsWith("at position 15; put the command on one line.", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_a_lone_surrogate()
    {
        Assert.False(TextHygiene.TryNormalize("ab\uD800c", out _, out var error));

        Assert.Equal("Command text contains a broken character (\\uD800) at position 3; retype it.", error);
    }

    [Fact]
    public void Positions_count_characters_not_utf16_units()
    {
        Assert.False(TextHygiene.TryNormalize("😀\u202E", out _, out var error));

        Assert.Contains("at position 2", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Keeps_spaces_tabs_and_ordinary_unicode()
    {
        Assert.True(TextHygiene.TryNormalize("run web-1\techo héllo 😀 ☃", out var normalized, out _));

        Assert.Equal("run web-1\techo héllo 😀 ☃", normalized);
    }

    [Theory]
    [InlineData("ｒｅｓｔａｒｔ ｗｅｂ－３", "restart web-3")] // fullwidth
    [InlineData("𝐫𝐞𝐬𝐭𝐚𝐫𝐭", "restart")] // mathematical bold
    [InlineData("restart\u00A0web-3\u3000nginx", "restart web-3 nginx")] // no-break and ideographic spaces
    [InlineData("ﬁle", "file")] // ligature
    [InlineData("x²", "x2")]
    [InlineData("\uFF02a b\uFF02", "\"a b\"")] // fullwidth quotation marks are real quotes after NFKC
    public void Normalises_compatibility_forms_to_ascii(string raw, string expected)
    {
        Assert.True(TextHygiene.TryNormalize(raw, out var normalized, out _));

        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData("a\u202Eb", "a\\u202Eb")]
    [InlineData("tab\there", "tab\\u0009here")]
    [InlineData("nul\0", "nul\\u0000")]
    [InlineData("zero\u200Bwidth", "zero\\u200Bwidth")]
    [InlineData("vs\uFE0F", "vs\\uFE0F")]
    [InlineData("nbsp\u00A0", "nbsp\\u00A0")]
    [InlineData("tag\U000E0041", "tag\\U000E0041")]
    [InlineData("plain text, héllo 😀", "plain text, héllo 😀")]
    public void Escape_shows_every_non_printing_character(string text, string expected)
    {
        Assert.Equal(expected, TextHygiene.Escape(text));
    }

    [Fact]
    public void Escape_shows_a_lone_surrogate()
    {
        // Built at run time: attribute arguments cannot hold a lone surrogate.
        var text = "lone" + (char)0xDC00;

        Assert.Equal("lone\\uDC00", TextHygiene.Escape(text));
    }

    [Fact]
    public void Escape_of_null_is_empty()
    {
        Assert.Equal("", TextHygiene.Escape(null));
    }

    [Fact]
    public void A_cyrillic_look_alike_is_named_with_its_ascii_skeleton()
    {
        Assert.False(TextHygiene.IsAsciiName("restаrt", out var problem, out var skeleton));

        Assert.Equal("`restаrt` contains non-Latin letter U+0430 (CYRILLIC SMALL LETTER A)", problem);
        Assert.Equal("restart", skeleton);
    }

    [Theory]
    [InlineData("wеb-3", "U+0435", "web-3")] // Cyrillic ie
    [InlineData("Αdmin", "U+0391", "Admin")] // Greek capital alpha
    [InlineData("rеstаrt", "U+0435", "restart")] // two look-alikes: names the first
    [InlineData("réstart", "U+00E9", null)] // not a look-alike: no skeleton
    public void Non_ascii_names_are_refused(string name, string codePoint, string? skeleton)
    {
        Assert.False(TextHygiene.IsAsciiName(name, out var problem, out var asciiSkeleton));

        Assert.Contains(codePoint, problem, StringComparison.Ordinal);
        Assert.Equal(skeleton, asciiSkeleton);
    }
}
