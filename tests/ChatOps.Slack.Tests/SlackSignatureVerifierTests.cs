using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Slack.Tests;

/// <summary>Slack's v0 signature, against the documented example (protocol notes A1.1) and every way to get it wrong.</summary>
public sealed class SlackSignatureVerifierTests
{
    private const string Secret = "8f742231b10e8888abcd99yyyzzz85a5";
    private const string Timestamp = "1531420618";
    private const string Body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    private const string Expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    private static readonly byte[] BodyBytes = Encoding.UTF8.GetBytes(Body);

    private static SlackSignatureVerifier At(long unixSeconds, string secret = Secret) =>
        new(secret, new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(unixSeconds)));

    [Fact]
    public void Signing_the_documented_example_gives_the_documented_signature()
    {
        Assert.Equal(Expected, SlackSignatureVerifier.Sign(Secret, Timestamp, BodyBytes));
    }

    [Fact]
    public void The_documented_example_verifies_at_its_own_time()
    {
        Assert.Equal(SlackSignatureResult.Valid, At(1531420618).Verify(Timestamp, Expected, BodyBytes));
    }

    [Theory]
    [InlineData(-300)]
    [InlineData(300)]
    public void A_timestamp_exactly_five_minutes_away_is_still_accepted(int skew)
    {
        Assert.Equal(SlackSignatureResult.Valid, At(1531420618 + skew).Verify(Timestamp, Expected, BodyBytes));
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    [InlineData(86_400)]
    public void A_timestamp_more_than_five_minutes_away_either_way_is_stale(int skew)
    {
        Assert.Equal(SlackSignatureResult.Stale, At(1531420618 + skew).Verify(Timestamp, Expected, BodyBytes));
    }

    [Theory]
    [InlineData(null, Expected)]
    [InlineData(Timestamp, null)]
    [InlineData("", Expected)]
    [InlineData(Timestamp, "")]
    public void Missing_headers_are_refused(string? timestamp, string? signature)
    {
        Assert.Equal(SlackSignatureResult.MissingHeaders, At(1531420618).Verify(timestamp, signature, BodyBytes));
    }

    [Theory]
    [InlineData("1531420618.5")]
    [InlineData("-1531420618")]
    [InlineData("15314206180000000")]
    [InlineData("abc")]
    [InlineData(" 1531420618")]
    public void A_malformed_timestamp_is_refused(string timestamp)
    {
        Assert.Equal(SlackSignatureResult.MalformedTimestamp, At(1531420618).Verify(timestamp, Expected, BodyBytes));
    }

    [Theory]
    [InlineData("v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")]
    [InlineData("a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")]
    [InlineData("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b50")]
    [InlineData("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b5033")]
    [InlineData("v0=z2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")]
    [InlineData("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503,v0=00")]
    public void A_malformed_signature_is_refused(string signature)
    {
        Assert.Equal(SlackSignatureResult.MalformedSignature, At(1531420618).Verify(Timestamp, signature, BodyBytes));
    }

    [Fact]
    public void A_wrong_signature_of_the_right_shape_is_a_mismatch()
    {
        var wrong = "v0=" + new string('0', 64);
        Assert.Equal(SlackSignatureResult.Mismatch, At(1531420618).Verify(Timestamp, wrong, BodyBytes));
    }

    [Fact]
    public void Every_single_byte_change_of_the_body_is_a_mismatch()
    {
        var verifier = At(1531420618);
        for (var i = 0; i < BodyBytes.Length; i++)
        {
            var changed = (byte[])BodyBytes.Clone();
            changed[i] ^= 0x01;
            Assert.Equal(SlackSignatureResult.Mismatch, verifier.Verify(Timestamp, Expected, changed));
        }
    }

    [Fact]
    public void A_body_with_one_byte_more_or_less_is_a_mismatch()
    {
        var verifier = At(1531420618);
        Assert.Equal(SlackSignatureResult.Mismatch, verifier.Verify(Timestamp, Expected, BodyBytes.AsSpan(0, BodyBytes.Length - 1)));
        Assert.Equal(SlackSignatureResult.Mismatch, verifier.Verify(Timestamp, Expected, [.. BodyBytes, (byte)'&']));
    }

    [Fact]
    public void A_signature_made_with_another_apps_secret_is_a_mismatch()
    {
        var other = SlackSignatureVerifier.Sign("another-apps-signing-secret-0001", Timestamp, BodyBytes);
        Assert.Equal(SlackSignatureResult.Mismatch, At(1531420618).Verify(Timestamp, other, BodyBytes));
    }

    [Fact]
    public void A_signature_for_another_timestamp_is_a_mismatch_even_within_the_window()
    {
        // The timestamp is signed too: moving it (to stretch the replay window) breaks the signature.
        Assert.Equal(SlackSignatureResult.Mismatch, At(1531420618).Verify("1531420619", Expected, BodyBytes));
    }

    [Fact]
    public void The_secret_is_used_as_utf8_text_not_decoded()
    {
        // The documented secret contains 'y' and 'z': a hex-decoding implementation could not even read it.
        Assert.NotEqual(Expected, SlackSignatureVerifier.Sign(Secret.ToUpperInvariant(), Timestamp, BodyBytes));
    }

    [Fact]
    public void Upper_case_hex_of_the_right_signature_is_accepted()
    {
        var upper = "v0=" + Expected[3..].ToUpperInvariant();
        Assert.Equal(SlackSignatureResult.Valid, At(1531420618).Verify(Timestamp, upper, BodyBytes));
    }
}
