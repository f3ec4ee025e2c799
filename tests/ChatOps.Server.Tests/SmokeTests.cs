using System.Net;
using ChatOps.Server.Tests.Support;

namespace ChatOps.Server.Tests;

public sealed class SmokeTests
{
    [Fact]
    public async Task The_host_starts_with_the_test_settings()
    {
        await using var app = new ChatOpsApp();
        using var admin = app.AdminClient();
        using var response = await admin.GetAsync("/api/servers");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await app.SignInAsync("admin");
        using var me = await page.GetAsync("/api/auth/me");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
    }
}
