using System.Net;
using System.Threading.Channels;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Embedded.State;
using ChatOps.Server.Tests.Support;
using ChatOps.Server.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChatOps.Server.Tests;

/// <summary>
/// A live page is a member of <c>ws:subscribers:{server_id}</c> of each server it watches while it is
/// connected, and leaves them when it disconnects; it receives only its servers' updates; and
/// <c>chatops_live_subscribers</c> counts the pages connected to the node.
/// </summary>
public sealed class LiveSubscriptionTests : IAsyncLifetime
{
    private readonly RecordingLiveSubscriptions _subscriptions = new();
    private ChatOpsApp _app = null!;

    public Task InitializeAsync()
    {
        _app = new ChatOpsApp(services: s => s.AddSingleton<ILiveSubscriptions>(_subscriptions));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_page_watching_servers_is_their_subscriber_until_it_disconnects()
    {
        var page = await _app.SignInAsync("admin");
        var response = await page.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/live?servers=web-1,web-2"), HttpCompletionOption.ResponseHeadersRead);
        var stream = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("retry: 3000", await stream.ReadLineAsync());

        var members = await _subscriptions.MembersAsync("web-1");
        var subscriber = Assert.Single(members);
        Assert.StartsWith("admin/", subscriber);
        Assert.Equal(members, await _subscriptions.MembersAsync("web-2"));
        Assert.Equal(0, await _subscriptions.CountAsync("web-3"));
        Assert.All(_subscriptions.Added, add => Assert.Equal(LiveEndpoint.SubscriptionTtl, add.Ttl));

        // The page goes away: the request ends and its memberships are removed at once, not at lease end.
        stream.Dispose();
        response.Dispose();
        await _subscriptions.WaitForRemovalAsync("web-1", subscriber);
        await _subscriptions.WaitForRemovalAsync("web-2", subscriber);
        Assert.Equal(0, await _subscriptions.CountAsync("web-1"));
        Assert.Equal(0, await _subscriptions.CountAsync("web-2"));
    }

    [Fact]
    public async Task Without_a_list_a_page_watches_every_enrolled_server()
    {
        var servers = _app.Get<IServerStore>();
        await servers.UpsertAsync(new Core.Domain.Server("live-a", null, [], DateTimeOffset.UtcNow));
        await servers.UpsertAsync(new Core.Domain.Server("live-b", null, ["role:web"], DateTimeOffset.UtcNow));
        var page = await _app.SignInAsync("admin");

        using var response = await page.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/live"), HttpCompletionOption.ResponseHeadersRead);
        using var stream = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("retry: 3000", await stream.ReadLineAsync());

        Assert.Equal(1, await _subscriptions.CountAsync("live-a"));
        Assert.Equal(1, await _subscriptions.CountAsync("live-b"));
    }

    [Fact]
    public async Task The_gauge_counts_the_pages_connected_to_this_node()
    {
        var page = await _app.SignInAsync("admin");
        using var anonymous = _app.Anonymous();
        Assert.Contains("chatops_live_subscribers 0", await anonymous.GetStringAsync("/metrics"));

        using var response = await page.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/live?servers=web-1"), HttpCompletionOption.ResponseHeadersRead);
        using var stream = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("retry: 3000", await stream.ReadLineAsync());

        Assert.Contains("chatops_live_subscribers 1", await anonymous.GetStringAsync("/metrics"));
    }

    [Theory]
    [InlineData("Web 1")]
    [InlineData("web-1,../etc")]
    [InlineData("<script>")]
    public async Task A_bad_server_list_is_refused_with_the_reason(string servers)
    {
        var page = await _app.SignInAsync("admin");
        using var response = await page.Client.GetAsync("/api/live?servers=" + Uri.EscapeDataString(servers));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("is not a server id", text);
        Assert.DoesNotContain("<script>", text);
        Assert.Empty(_subscriptions.Added);
    }

    [Fact]
    public async Task A_page_gets_only_the_updates_of_the_servers_it_watches()
    {
        var feed = new LiveFeed(_app.Get<IEventBus>(), TimeProvider.System, NullLogger<LiveFeed>.Instance);
        using var webOnly = feed.Join(new HashSet<string> { "web-1" });
        using var everything = feed.Join();
        using var dbOnly = feed.Join(new HashSet<string> { "db-1" });

        await feed.HandleAsync(Metrics("web-2"), CancellationToken.None);
        await feed.HandleAsync(Metrics("web-1"), CancellationToken.None);
        await feed.HandleAsync(Envelope.Create(EventTypes.AgentConnected, "db-1", new AgentConnected("db-1", "node-a", "c1", "1.0", DateTimeOffset.UtcNow), DateTimeOffset.UtcNow), CancellationToken.None);

        Assert.Equal(["metrics web-1"], Drain(webOnly));
        Assert.Equal(["metrics web-2", "metrics web-1", "agent db-1"], Drain(everything));
        Assert.Equal(["agent db-1"], Drain(dbOnly));
    }

    private static Envelope Metrics(string serverId) => Envelope.Create(EventTypes.MetricsReported, serverId,
        new MetricsReported(new MetricSnapshot(serverId, DateTimeOffset.UtcNow, [new MetricSample(MetricNames.CpuPercent, new Dictionary<string, string>(), 1)])), DateTimeOffset.UtcNow);

    private static List<string> Drain(LiveClient client)
    {
        var seen = new List<string>();
        while (client.Messages.TryRead(out var message))
            seen.Add(message.Event + " " + System.Text.Json.JsonDocument.Parse(message.Data).RootElement.GetProperty("serverId").GetString());
        return seen;
    }

    /// <summary>The in-process adapter, recording each call so tests wait on the removal itself.</summary>
    private sealed class RecordingLiveSubscriptions : ILiveSubscriptions
    {
        private readonly InMemoryLiveSubscriptions _inner = new();
        private readonly Channel<(string Server, string Subscriber)> _removed = Channel.CreateUnbounded<(string, string)>();
        private readonly List<(string Server, string Subscriber)> _seenRemovals = [];

        public List<(string Server, string Subscriber, TimeSpan Ttl)> Added { get; } = [];

        public Task AddAsync(string serverId, string subscriberId, TimeSpan ttl, CancellationToken cancellationToken = default)
        {
            lock (Added) Added.Add((serverId, subscriberId, ttl));
            return _inner.AddAsync(serverId, subscriberId, ttl, cancellationToken);
        }

        public async Task RemoveAsync(string serverId, string subscriberId, CancellationToken cancellationToken = default)
        {
            await _inner.RemoveAsync(serverId, subscriberId, cancellationToken);
            _removed.Writer.TryWrite((serverId, subscriberId));
        }

        public Task<IReadOnlyList<string>> MembersAsync(string serverId, CancellationToken cancellationToken = default) => _inner.MembersAsync(serverId, cancellationToken);

        public Task<long> CountAsync(string serverId, CancellationToken cancellationToken = default) => _inner.CountAsync(serverId, cancellationToken);

        public async Task WaitForRemovalAsync(string serverId, string subscriberId)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (!_seenRemovals.Contains((serverId, subscriberId)))
                _seenRemovals.Add(await _removed.Reader.ReadAsync(timeout.Token));
        }
    }
}
