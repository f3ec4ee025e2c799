using ChatOps.Server.Auth;
using ChatOps.Server.Hosting;
using Microsoft.Extensions.Configuration;

namespace ChatOps.Server.Tests;

/// <summary>Bad sign-in settings stop start-up with one line per problem, each naming its key.</summary>
public class AuthSettingsTests
{
    [Fact]
    public void Every_bad_setting_is_reported_by_its_key()
    {
        var errors = Read(new()
        {
            ["ChatOps:Auth:SigningKey"] = "too-short",
            ["ChatOps:Auth:AccessTokenLifetime"] = "02:00:00",
            ["ChatOps:Auth:PasswordIterations"] = "1000",
            ["ChatOps:Auth:SecureCookies"] = "sometimes",
            ["ChatOps:Web:TrustedOrigins"] = "null,https://ok.example",
            ["ChatOps:RateLimits:ApiPerMinute"] = "0",
            ["ChatOps:Approvals:Expiry"] = "5s",
            ["ChatOps:Bootstrap:AdminPassword"] = "short",
        }, out _);

        foreach (var key in new[] { "Auth:SigningKey", "Auth:AccessTokenLifetime", "Auth:PasswordIterations", "Auth:SecureCookies", "Web:TrustedOrigins", "RateLimits:ApiPerMinute", "Approvals:Expiry", "Bootstrap:AdminPassword" })
            Assert.Contains(errors, e => e.StartsWith("ChatOps:" + key, StringComparison.Ordinal));
    }

    [Fact]
    public void The_defaults_are_safe_and_a_missing_key_is_made_up_per_process()
    {
        var errors = Read([], out var settings);

        Assert.Empty(errors);
        Assert.True(settings.SigningKeyGenerated);
        Assert.Equal(32, settings.SigningKey.Length);
        Assert.Equal(600_000, settings.PasswordIterations);
        Assert.Equal(TimeSpan.FromMinutes(5), settings.AccessTokenLifetime);
        Assert.Equal(TimeSpan.FromMinutes(15), settings.ApprovalExpiry);
        Assert.Equal(SecureCookies.Auto, settings.SecureCookies);
        Assert.Empty(Read([], out var other));
        Assert.NotEqual(settings.SigningKey, other.SigningKey);
    }

    [Fact]
    public void The_signing_key_may_come_from_a_file()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "a-signing-key-from-a-mounted-secret-file\n");
        try
        {
            Assert.Empty(Read(new() { ["ChatOps:Auth:SigningKey_FILE"] = file }, out var settings));
            Assert.False(settings.SigningKeyGenerated);
            Assert.Equal("a-signing-key-from-a-mounted-secret-file"u8.ToArray(), settings.SigningKey);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static List<string> Read(Dictionary<string, string?> values, out AuthSettings settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var errors = new List<string>();
        settings = AuthSettings.Read(configuration, ChatOpsSettings.Read(configuration), errors);
        return errors;
    }
}
