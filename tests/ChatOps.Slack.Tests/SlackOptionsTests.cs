using Microsoft.Extensions.Configuration;

namespace ChatOps.Slack.Tests;

public sealed class SlackOptionsTests
{
    private static SlackOptions Read(Dictionary<string, string?> values) =>
        SlackOptions.Read(new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection(SlackOptions.SectionName));

    [Fact]
    public void Nothing_configured_means_Slack_is_off()
    {
        Assert.False(Read([]).IsConfigured);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_each_naming_its_key()
    {
        var options = Read(new()
        {
            ["ChatOps:Slack:BotToken"] = "xoxp-user-token",
            ["ChatOps:Slack:AppToken"] = "xoxb-not-an-app-token",
            ["ChatOps:Slack:ApiBaseUrl"] = "ftp://slack",
            ["ChatOps:Slack:AckBudget"] = "00:00:05",
            ["ChatOps:Slack:MaxAttempts"] = "many",
        });

        var errors = options.Validate();

        Assert.True(options.IsConfigured);
        Assert.Contains(errors, e => e.StartsWith("ChatOps:Slack:SigningSecret is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ChatOps:Slack:BotToken must be a bot token", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ChatOps:Slack:AppToken must be an app-level token", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ChatOps:Slack:ApiBaseUrl must be an absolute http(s) URL", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ChatOps:Slack:AckBudget must be between", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ChatOps:Slack:MaxAttempts must be a whole number", StringComparison.Ordinal));
    }

    [Fact]
    public void Secrets_may_come_from_files()
    {
        var secretFile = Path.GetTempFileName();
        var tokenFile = Path.GetTempFileName();
        try
        {
            File.WriteAllText(secretFile, "file-signing-secret\n");
            File.WriteAllText(tokenFile, "xoxb-from-file\n");
            var options = Read(new()
            {
                ["ChatOps:Slack:SigningSecret_FILE"] = secretFile,
                ["ChatOps:Slack:BotToken_FILE"] = tokenFile,
            });

            Assert.Equal("file-signing-secret", options.SigningSecret);
            Assert.Equal("xoxb-from-file", options.BotToken);
            Assert.Empty(options.Validate());
        }
        finally
        {
            File.Delete(secretFile);
            File.Delete(tokenFile);
        }
    }

    [Fact]
    public void A_secret_file_that_does_not_exist_is_an_error_naming_the_key()
    {
        var options = Read(new()
        {
            ["ChatOps:Slack:SigningSecret_FILE"] = "/nonexistent/slack-secret",
            ["ChatOps:Slack:BotToken"] = "xoxb-1",
        });

        Assert.Contains(options.Validate(), e => e.StartsWith("ChatOps:Slack:SigningSecret_FILE points at '/nonexistent/slack-secret'", StringComparison.Ordinal));
    }

    [Fact]
    public void Socket_mode_needs_an_app_token_but_no_signing_secret()
    {
        var without = Read(new() { ["ChatOps:Slack:SocketMode"] = "true", ["ChatOps:Slack:BotToken"] = "xoxb-1" });
        var with = Read(new() { ["ChatOps:Slack:SocketMode"] = "true", ["ChatOps:Slack:BotToken"] = "xoxb-1", ["ChatOps:Slack:AppToken"] = "xapp-1" });

        Assert.Contains(without.Validate(), e => e.StartsWith("ChatOps:Slack:AppToken is required when ChatOps:Slack:SocketMode is true", StringComparison.Ordinal));
        Assert.Empty(with.Validate());
    }

    [Fact]
    public void Configured_users_must_name_a_slack_id_and_known_roles()
    {
        var options = Read(new()
        {
            ["ChatOps:Slack:SigningSecret"] = "s",
            ["ChatOps:Slack:BotToken"] = "xoxb-1",
            ["ChatOps:Slack:Users"] = "U0ALICE01=operator, T0TEAM001/U0BOB0001=viewer+approver, alice=operator, U0CAROL01, U0DAVE001=root",
        });

        var errors = options.Validate();

        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("ChatOps:Slack:Users: 'alice=operator' must start with a Slack user id", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ChatOps:Slack:Users: 'U0CAROL01' needs roles", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ChatOps:Slack:Users: 'U0DAVE001=root' names an unknown role 'root'", StringComparison.Ordinal));
    }

    [Fact]
    public void AddSlack_refuses_invalid_options_with_every_problem()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        var error = Assert.Throws<ArgumentException>(() => services.AddSlack(o => o.BotToken = "nope"));
        Assert.Contains("ChatOps:Slack:SigningSecret", error.Message);
        Assert.Contains("ChatOps:Slack:BotToken", error.Message);
    }
}
