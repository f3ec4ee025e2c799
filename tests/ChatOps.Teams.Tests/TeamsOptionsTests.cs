using Microsoft.Extensions.Configuration;

namespace ChatOps.Teams.Tests;

public sealed class TeamsOptionsTests
{
    [Fact]
    public void Every_problem_is_reported_at_once_naming_its_key()
    {
        var options = Read(new()
        {
            ["OpenIdMetadataUrl"] = "http://login.example.com/meta",
            ["TokenEndpoint"] = "not a url",
            ["MaxAttempts"] = "many",
            ["RetryMinDelay"] = "-00:00:01",
            ["AllowedServiceUrls:0"] = "ftp://x/",
        });

        var errors = options.Validate();

        Assert.Contains(errors, e => e.StartsWith("ChatOps:Teams:AppId is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ChatOps:Teams:AppPassword", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ChatOps:Teams:OpenIdMetadataUrl must use https", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ChatOps:Teams:TokenEndpoint must be an absolute URL", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ChatOps:Teams:MaxAttempts must be a whole number", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ChatOps:Teams:RetryMinDelay must be a positive duration", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ChatOps:Teams:AllowedServiceUrls:0 must use https", StringComparison.Ordinal));
    }

    [Fact]
    public void Defaults_are_Microsofts_endpoints_and_a_complete_configuration_is_valid()
    {
        var options = Read(new() { ["AppId"] = "11111111-2222-3333-4444-555555555555", ["AppPassword"] = "secret" });

        Assert.Empty(options.Validate());
        Assert.Equal("https://login.botframework.com/v1/.well-known/openidconfiguration", options.OpenIdMetadataUrl);
        Assert.Equal("https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token", options.TokenEndpoint);
        Assert.Equal(["https://smba.trafficmanager.net/"], options.AllowedServiceUrls);
    }

    [Fact]
    public void The_password_can_come_from_a_file_and_a_missing_file_is_named()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "from-file\n");
            var fromFile = Read(new() { ["AppId"] = "app", ["AppPassword_FILE"] = file });
            Assert.Equal("from-file", fromFile.AppPassword);
            Assert.Empty(fromFile.Validate());
        }
        finally
        {
            File.Delete(file);
        }

        var missing = Read(new() { ["AppId"] = "app", ["AppPassword_FILE"] = "/nonexistent/teams-password" });
        var error = Assert.Single(missing.Validate());
        Assert.StartsWith("ChatOps:Teams:AppPassword_FILE points at '/nonexistent/teams-password'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Allowed_service_urls_can_be_a_list_or_comma_separated()
    {
        var list = Read(new() { ["AllowedServiceUrls:0"] = "https://a.example/", ["AllowedServiceUrls:1"] = "https://b.example/" });
        var joined = Read(new() { ["AllowedServiceUrls"] = "https://a.example/, https://b.example/" });

        Assert.Equal(["https://a.example/", "https://b.example/"], list.AllowedServiceUrls);
        Assert.Equal(["https://a.example/", "https://b.example/"], joined.AllowedServiceUrls);
    }

    private static TeamsOptions Read(Dictionary<string, string?> values) =>
        TeamsOptions.Read(new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(kv => "ChatOps:Teams:" + kv.Key, kv => kv.Value)).Build().GetSection("ChatOps:Teams"));
}
