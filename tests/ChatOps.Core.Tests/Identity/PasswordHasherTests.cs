using ChatOps.Core.Identity;

namespace ChatOps.Core.Tests.Identity;

public class PasswordHasherTests
{
    private readonly PasswordHasher _fast = new(iterations: 1_000);

    [Fact]
    public void The_default_is_PBKDF2_SHA256_with_600000_iterations_and_a_16_byte_salt()
    {
        var hash = new PasswordHasher().Hash("correct horse battery staple");

        var parts = hash.Split('$');
        Assert.Equal("pbkdf2-sha256", parts[0]);
        Assert.Equal("600000", parts[1]);
        Assert.Equal(16, Convert.FromBase64String(parts[2]).Length);
        Assert.Equal(32, Convert.FromBase64String(parts[3]).Length);
    }

    [Fact]
    public void The_same_password_hashes_differently_and_verifies_only_itself()
    {
        var first = _fast.Hash("correct horse battery staple");
        var second = _fast.Hash("correct horse battery staple");

        Assert.NotEqual(first, second);
        Assert.True(_fast.Verify("correct horse battery staple", first));
        Assert.True(_fast.Verify("correct horse battery staple", second));
        Assert.False(_fast.Verify("correct horse battery stapl", first));
        Assert.False(_fast.Verify("Correct horse battery staple", first));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("plain")]
    [InlineData("pbkdf2-sha256$x$AAAA$AAAA")]
    [InlineData("pbkdf2-sha256$1000$not base64$AAAA")]
    [InlineData("md5$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==")]
    public void A_missing_or_malformed_hash_never_verifies(string? stored)
    {
        Assert.False(_fast.Verify("anything at all", stored));
    }

    [Fact]
    public void The_iteration_count_travels_with_the_hash_so_old_hashes_still_verify_and_get_upgraded()
    {
        var old = new PasswordHasher(iterations: 500).Hash("a long enough password");

        Assert.True(_fast.Verify("a long enough password", old));
        Assert.True(_fast.NeedsRehash(old));
        Assert.False(_fast.NeedsRehash(_fast.Hash("a long enough password")));
    }

    [Theory]
    [InlineData("short", "at least 12")]
    [InlineData("", "empty")]
    [InlineData("twelve chars\u0007", "control")]
    public void Weak_or_odd_passwords_are_refused_with_a_reason(string password, string reason)
    {
        Assert.Contains(reason, PasswordHasher.Check(password));
        Assert.Null(PasswordHasher.Check("correct horse battery staple"));
    }
}
