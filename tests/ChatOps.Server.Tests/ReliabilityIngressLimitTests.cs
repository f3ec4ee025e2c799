using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using ChatOps.Server.Chat;
using ChatOps.Server.Tests.Support;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOps.Server.Tests;

/// <summary>
/// Reliability-security tests 12 and 13 on every route of the host that takes a body: an oversized body
/// (announced or streamed) gets a 413 with a reason, and every JSON bomb (depth 100,000, a huge array,
/// duplicate keys, invalid UTF-8, a lone surrogate, a huge number) a 400 with a reason, fast, never a 500.
/// </summary>
public sealed class ReliabilityIngressLimitTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    /// <summary>Routes with a method that carries a body but that read none: they act on their path alone.</summary>
    private static readonly HashSet<string> NoBody =
    [
        "POST /api/auth/logout", "POST /api/approvals/{id}/approve", "POST /api/commands/{id}/cancel", "POST /api/catalog/{name}/rules/reset",
    ];

    /// <summary>Routes mapped by the chat adapters, each with its own limit and tests (Slack and Teams test projects).</summary>
    private static bool IsAdapterRoute(string pattern) => pattern.StartsWith("/slack/", StringComparison.Ordinal) || pattern == "/api/messages";

    [Fact]
    public async Task Every_route_that_reads_a_body_refuses_one_over_the_limit_with_413()
    {
        var routes = BodyRoutes();
        Assert.True(routes.Count >= 12, $"only {routes.Count} body routes found: {string.Join(", ", routes)}");
        using var admin = fixture.App.AdminClient();
        var oversized = "{\"padding\":\"" + new string('x', JsonBody.MaxBytes) + "\"}";
        var problems = new List<string>();

        foreach (var (method, pattern) in routes)
        {
            foreach (var streamed in new[] { false, true })
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), Concrete(pattern))
                {
                    Content = streamed ? new StreamedContent(Encoding.UTF8.GetBytes(oversized)) : new StringContent(oversized, Encoding.UTF8, "application/json"),
                };
                using var response = await admin.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.RequestEntityTooLarge || !body.Contains("larger than", StringComparison.Ordinal))
                    problems.Add($"{method} {pattern} ({(streamed ? "chunked" : "with length")}): {(int)response.StatusCode} {Shorten(body)}");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>The string fields of every body record the host reads, so each bomb lands on fields the route maps (unmapped ones are skipped unread).</summary>
    private static readonly string[] Keys =
    [
        "id", "name", "userId", "reason", "role", "command", "target", "risk", "text", "requestId", "displayName", "password", "identity",
        "username", "mode", "refreshToken", "currentPassword", "newPassword", "user", "channel", "threadId",
    ];

    private static string EveryKey(Func<string, string> pair) => "{" + string.Join(',', Keys.Select(pair)) + "}";

    public static TheoryData<string, string> Bombs() => new()
    {
        { "depth 30,000", new string('[', 30_000) + new string(']', 30_000) },
        { "depth in an object", "{\"a\":" + string.Concat(Enumerable.Repeat("{\"a\":", 20_000)) + "1" + new string('}', 20_001) },
        { "30,000-element array", "[" + string.Join(',', Enumerable.Repeat("1", 30_000)) + "]" },
        { "duplicate keys", EveryKey(k => $"\"{k}\":\"a\",\"{k}\":\"b\"") },
        { "huge number", EveryKey(k => $"\"{k}\":1e999999") },
        { "lone surrogate", EveryKey(k => $"\"{k}\":\"x\\ud800y\"") },
        { "not json", "{\"id\":" },
        { "empty", "" },
        { "null", "null" },
    };

    [Theory]
    [MemberData(nameof(Bombs))]
    public async Task Every_json_route_refuses_a_bomb_with_400_quickly(string name, string bomb)
    {
        // 100,000 levels would not fit the 64 KiB limit as brackets alone (that is a 413); 30,000 is as deep as fits.
        using var admin = fixture.App.AdminClient();
        await AssertEveryRouteRefusesAsync(admin, name, () => new StringContent(bomb, Encoding.UTF8, "application/json"));
    }

    [Fact]
    public async Task Every_json_route_refuses_invalid_utf8_with_400_quickly()
    {
        using var admin = fixture.App.AdminClient();
        // Invalid bytes in a field the route does not map too: the body as a whole is not UTF-8 JSON.
        byte[] bytes = [.. Encoding.UTF8.GetBytes(EveryKey(k => $"\"{k}\":\"ok\""))[..^1], .. ",\"unmapped\":\"a"u8, 0xC3, 0x28, 0xFF, 0xED, 0xA0, 0x80, .. "\"}"u8];
        await AssertEveryRouteRefusesAsync(admin, "invalid utf-8", () =>
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            return content;
        });
    }

    private async Task AssertEveryRouteRefusesAsync(HttpClient client, string name, Func<HttpContent> content)
    {
        var problems = new List<string>();
        var slowest = (Took: TimeSpan.Zero, Route: "");
        foreach (var (method, pattern) in BodyRoutes())
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), Concrete(pattern)) { Content = content() };
            var watch = Stopwatch.StartNew();
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            watch.Stop();
            if (watch.Elapsed > slowest.Took) slowest = (watch.Elapsed, $"{method} {pattern}");

            // 404: a route that looks its {id} up first may say so before it reads the body; both are clean.
            if (response.StatusCode is not (HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.NotFound))
                problems.Add($"{name}: {method} {pattern}: {(int)response.StatusCode} {Shorten(body)}");
            else if (!HasMessage(body) || body.Contains("   at ", StringComparison.Ordinal))
                problems.Add($"{name}: {method} {pattern}: {(int)response.StatusCode} without a clear message: {Shorten(body)}");
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
        // The spec asks for < 100 ms at the parser; a loaded 2-core test machine gets headroom for the whole round trip.
        Assert.True(slowest.Took < TimeSpan.FromSeconds(1), $"{name}: slowest refusal took {slowest.Took.TotalMilliseconds:0} ms ({slowest.Route})");
    }

    private static bool HasMessage(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("message", out var message) && message.GetString() is { Length: > 0 };
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private List<(string Method, string Pattern)> BodyRoutes() =>
        fixture.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Method: m, Pattern: "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .Where(r => r.Method is "POST" or "PUT" or "PATCH")
            .Where(r => !IsAdapterRoute(r.Pattern) && !NoBody.Contains($"{r.Method} {r.Pattern}"))
            .Distinct()
            .OrderBy(r => r.Pattern, StringComparer.Ordinal)
            .ToList();

    private static string Concrete(string pattern) =>
        System.Text.RegularExpressions.Regex.Replace(pattern, @"\{[^}]+\}", "x");

    private static string Shorten(string text) => text.Length > 200 ? text[..200] + "…" : text;

    /// <summary>A JSON body sent without a Content-Length (chunked), so only counting while reading can stop it.</summary>
    private sealed class StreamedContent : HttpContent
    {
        private readonly byte[] _bytes;

        public StreamedContent(byte[] bytes)
        {
            _bytes = bytes;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(_bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
