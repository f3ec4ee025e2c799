using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.Server.Tests.Support;

namespace ChatOps.Server.Tests;

/// <summary>Admin web hardening (reliability-security.md #23): CORS, CSRF, Origin, cookies, CSP, escaping.</summary>
public sealed class BrowserSecurityTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private ChatOpsApp App => fixture.App;

    [Theory]
    [InlineData("null")]
    [InlineData("https://evil.example")]
    [InlineData("http://localhost")]
    public async Task No_origin_ever_gets_CORS_headers(string origin)
    {
        var page = await App.SignInAsync("admin");
        foreach (var (method, path) in new[] { ("GET", "/api/servers"), ("OPTIONS", "/api/servers"), ("GET", "/"), ("POST", "/api/auth/login"), ("GET", "/healthz") })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Access-Control-Request-Method", "POST");
            request.Headers.Add("Access-Control-Request-Headers", "x-csrf-token, content-type");
            using var response = await page.Client.SendAsync(request);
            var cors = response.Headers.Concat(response.Content.Headers).Where(h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase)).ToList();
            Assert.True(cors.Count == 0, $"{method} {path} with Origin {origin} answered {string.Join("; ", cors.Select(h => h.Key + ": " + string.Join(",", h.Value)))}");
        }
    }

    [Fact]
    public async Task Every_response_carries_a_strict_content_security_policy()
    {
        using var anonymous = App.Anonymous();
        foreach (var path in new[] { "/", "/console.js", "/api/servers", "/healthz" })
        {
            using var response = await anonymous.GetAsync(path);
            var csp = response.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("default-src 'none'", csp);
            Assert.Contains("script-src 'self'", csp);
            Assert.DoesNotContain("unsafe-inline", csp);
            Assert.DoesNotContain("unsafe-eval", csp);
            Assert.Contains("frame-ancestors 'none'", csp);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        }
    }

    [Fact]
    public async Task Session_cookies_are_HttpOnly_SameSite_Strict_and_the_csrf_cookie_is_readable()
    {
        using var client = App.Anonymous();
        using var response = await client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = ChatOpsApp.AdminPassword });
        var cookies = response.Headers.GetValues("Set-Cookie").ToList();

        var access = cookies.Single(c => c.StartsWith("chatops_at=", StringComparison.Ordinal));
        var refresh = cookies.Single(c => c.StartsWith("chatops_rt=", StringComparison.Ordinal));
        var csrf = cookies.Single(c => c.StartsWith("chatops_csrf=", StringComparison.Ordinal));
        Assert.Contains("httponly", access, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", access, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", refresh, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/api/auth", refresh, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", csrf, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("httponly", csrf, StringComparison.OrdinalIgnoreCase);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(body.TryGetProperty("accessToken", out _), "the page's sign-in must not hand tokens to scripts");
        Assert.False(body.TryGetProperty("refreshToken", out _));
    }

    [Fact]
    public async Task A_state_changing_cookie_request_without_the_csrf_token_is_refused()
    {
        var page = await App.SignInAsync("admin");
        var body = new { name = "csrf-probe", userId = "admin" };

        using var missing = await page.SendAsync(HttpMethod.Post, "/api/keys", body, withCsrf: false);
        var forgedRequest = new HttpRequestMessage(HttpMethod.Post, "/api/keys") { Content = JsonContent.Create(body) };
        forgedRequest.Headers.Add("X-CSRF-Token", "forged-token-value");
        using var forged = await page.Client.SendAsync(forgedRequest);
        using var crossSite = await page.SendAsync(HttpMethod.Post, "/api/keys", body, origin: "https://evil.example");
        using var nullOrigin = await page.SendAsync(HttpMethod.Post, "/api/keys", body, origin: "null");
        using var chat = await page.SendAsync(HttpMethod.Post, "/api/chat/messages", new { text = "help" }, withCsrf: false);
        using var accepted = await page.SendAsync(HttpMethod.Post, "/api/keys", body);

        Assert.Equal(HttpStatusCode.Forbidden, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, nullOrigin.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, chat.StatusCode);
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        var keys = await (await page.GetAsync("/api/keys")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Single(keys.EnumerateArray(), k => k.GetProperty("name").GetString() == "csrf-probe");
    }

    [Fact]
    public async Task A_cross_site_sign_in_is_refused()
    {
        using var client = App.Anonymous();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login") { Content = JsonContent.Create(new { username = "admin", password = ChatOpsApp.AdminPassword }) };
        request.Headers.Add("Origin", "https://evil.example");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task The_page_has_no_inline_script_and_renders_text_only()
    {
        using var anonymous = App.Anonymous();
        var html = await anonymous.GetStringAsync("/");
        var script = await anonymous.GetStringAsync("/console.js");

        Assert.Contains("ChatOps console", html);
        Assert.DoesNotContain("<script>", html);
        Assert.Matches("<script src=\"/console.js\"></script>", html);
        Assert.DoesNotMatch(@"\son[a-z]+\s*=", html);
        Assert.DoesNotContain("style=", html);
        foreach (var sink in new[] { "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute(\"on" })
            Assert.DoesNotContain(sink, script);
        Assert.Contains("textContent", script);
    }

    [Fact]
    public async Task The_checks_above_read_the_files_of_the_repository()
    {
        // The assertions read what the binary serves; this ties that to the source a reviewer reads.
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "ChatOps.sln"))) root = Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new DirectoryNotFoundException("ChatOps.sln");
        using var anonymous = App.Anonymous();
        foreach (var file in new[] { "console.html", "console.js", "console.css" })
            Assert.Equal(await File.ReadAllTextAsync(Path.Combine(root, "src", "ChatOps.Server", "Web", file)), await anonymous.GetStringAsync("/" + (file == "console.html" ? "" : file)));
    }
}
