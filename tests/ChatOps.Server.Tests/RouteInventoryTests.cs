using System.Net;
using ChatOps.Server.Auth;
using ChatOps.Server.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOps.Server.Tests;

/// <summary>
/// Deny by default (SaltStack CVE-2020-11651): every route the host serves is enumerated, and only the
/// routes on this test's own list may be reached without an API key or a session. A new anonymous
/// route needs a change here, with its reason.
/// </summary>
public sealed class RouteInventoryTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    /// <summary>(route, what protects it instead): the whole list of routes without the API-key/session requirement.</summary>
    private static readonly IReadOnlyDictionary<string, string> AnonymousAllowed = new Dictionary<string, string>
    {
        ["/"] = "page shell, no data",
        ["/console.js"] = "static asset",
        ["/console.css"] = "static asset",
        ["/favicon.ico"] = "static asset",
        ["/healthz"] = "liveness",
        ["/readyz"] = "readiness",
        ["/metrics"] = "Prometheus counts",
        ["/agents/connect"] = "agent token before the WebSocket upgrade",
        ["/api/messages"] = "Bot Framework JWT (Teams adapter)",
        ["/api/auth/login"] = "the password is the credential",
        ["/api/auth/refresh"] = "the refresh token is the credential",
    };

    private static bool IsAllowedAnonymous(string route) =>
        AnonymousAllowed.ContainsKey(route) || route.StartsWith("/slack/", StringComparison.Ordinal);

    [Fact]
    public void The_gate_lets_through_exactly_the_listed_routes()
    {
        Assert.Equal(AnonymousAllowed.Keys.Order(), AnonymousRoutes.Exact.Keys.Order());
        Assert.Equal(["/slack/"], AnonymousRoutes.Prefixes.Keys);
        foreach (var route in Routes().Select(r => r.Pattern))
            Assert.True(AnonymousRoutes.IsAnonymous(new PathString(Concrete(route))) == IsAllowedAnonymous(route), $"{route}: the gate and the allowlist disagree");
    }

    [Fact]
    public async Task Every_other_route_answers_401_to_anonymous_and_forged_callers()
    {
        var routes = Routes();
        Assert.Contains(routes, r => r.Pattern == "/api/users");
        Assert.Contains(routes, r => r.Pattern == "/api/approvals/{id}/approve");
        using var anonymous = fixture.App.Anonymous();
        using var forged = fixture.App.KeyClient("not-a-real-key");
        using var forgedToken = fixture.App.KeyClient("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.");
        var checkedRoutes = 0;
        foreach (var (pattern, method) in routes.Where(r => !IsAllowedAnonymous(r.Pattern)))
        {
            foreach (var client in new[] { anonymous, forged, forgedToken })
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), Concrete(pattern));
                if (method is "POST" or "PUT" or "PATCH") request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
                using var response = await client.SendAsync(request);
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {pattern} answered {(int)response.StatusCode} to an unauthenticated caller");
            }

            checkedRoutes++;
        }

        Assert.True(checkedRoutes >= 30, $"only {checkedRoutes} protected routes found");
    }

    [Fact]
    public async Task Paths_no_endpoint_serves_are_refused_before_routing_too()
    {
        using var anonymous = fixture.App.Anonymous();
        using var response = await anonymous.GetAsync("/api/not-a-route");
        using var deep = await anonymous.GetAsync("/admin/../api/users");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, deep.StatusCode);
    }

    private List<(string Pattern, string Method)> Routes() =>
        fixture.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => ("/" + e.RoutePattern.RawText!.TrimStart('/'), m)))
            .Distinct().ToList();

    private static string Concrete(string pattern) =>
        System.Text.RegularExpressions.Regex.Replace(pattern, @"\{[^}]+\}", "x");
}
