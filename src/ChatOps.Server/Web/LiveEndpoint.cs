using System.Text;
using System.Text.RegularExpressions;
using ChatOps.Core.Observability;
using ChatOps.Core.Ports;
using ChatOps.Core.Security;
using ChatOps.Server.Auth;
using ChatOps.Server.Chat;

namespace ChatOps.Server.Web;

/// <summary>
/// <c>GET /api/live</c>: server-sent events for the page (agents online/offline, metrics, command and
/// approval steps). <c>?servers=web-1,web-7</c> watches only those servers; without it, every enrolled
/// server. While connected, the page is a member of <c>ws:subscribers:{server_id}</c> of each server it
/// watches (<see cref="ILiveSubscriptions"/>), renewed as it stays and removed when it leaves.
/// </summary>
public static partial class LiveEndpoint
{
    /// <summary>A page's membership lapses this long after its node last renewed it (a node that died).</summary>
    public static readonly TimeSpan SubscriptionTtl = TimeSpan.FromSeconds(60);

    /// <summary>How often a connected page's memberships are renewed (and, watching all, new servers joined).</summary>
    public static readonly TimeSpan SubscriptionRefresh = TimeSpan.FromSeconds(20);

    public const int MaxWatchedServers = 100;

    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static IEndpointRouteBuilder MapLiveFeed(this IEndpointRouteBuilder app)
    {
        var services = app.ServiceProvider;
        var feed = services.GetRequiredService<LiveFeed>();
        services.GetRequiredService<ChatOpsMeter>().ObserveGauge("chatops_live_subscribers", "Live pages connected to this web node", () => feed.ClientCount);
        app.MapGet("/api/live", StreamAsync);
        return app;
    }

    private static async Task StreamAsync(HttpContext context, LiveFeed feed, ILiveSubscriptions subscriptions, IServerStore servers, TimeProvider time, ILoggerFactory loggers, IHostApplicationLifetime lifetime)
    {
        if (context.Features.Get<ApiCaller>() is not { } caller)
        {
            await ApiKeyAuthentication.Unauthorized().ExecuteAsync(context);
            return;
        }

        var (watched, problem) = ParseServers(context.Request.Query["servers"].ToString());
        if (problem is not null)
        {
            await JsonBody.BadRequest(problem).ExecuteAsync(context);
            return;
        }

        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        using var client = feed.Join(watched);
        var membership = new Membership(subscriptions, servers, watched, caller.User.Id + "/" + Secrets.NewShortId(10), loggers.CreateLogger(typeof(LiveEndpoint).FullName!));
        var output = context.Response.Body;
        // A stream never ends by itself: end it when the host stops, or Kestrel waits its whole
        // shutdown timeout for this request (the page reconnects by itself, see `retry:`).
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var cancel = stopping.Token;
        try
        {
            await membership.RenewAsync(cancel);
            var renewAt = time.GetUtcNow() + SubscriptionRefresh;
            await WriteAsync(output, "retry: 3000\n: connected\n\n", cancel);
            Task<bool>? waiting = null;
            while (!cancel.IsCancellationRequested)
            {
                if (time.GetUtcNow() >= renewAt)
                {
                    await membership.RenewAsync(cancel);
                    renewAt = time.GetUtcNow() + SubscriptionRefresh;
                }

                // One pending wait at a time (a single-reader channel), kept across heartbeats.
                waiting ??= client.Messages.WaitToReadAsync(cancel).AsTask();
                bool ready;
                try
                {
                    ready = await waiting.WaitAsync(Heartbeat, time, cancel);
                }
                catch (TimeoutException)
                {
                    await WriteAsync(output, ": ping\n\n", cancel);
                    continue;
                }

                waiting = null;
                if (!ready) return;
                while (client.Messages.TryRead(out var message))
                    await WriteAsync(output, $"event: {message.Event}\ndata: {message.Data}\n\n", cancel);
            }
        }
        catch (OperationCanceledException)
        {
            // The page went away.
        }
        finally
        {
            await membership.LeaveAsync();
        }
    }

    /// <summary>Null (every server) for an empty value, else the listed ids, each checked.</summary>
    private static (IReadOnlySet<string>? Servers, string? Problem) ParseServers(string value)
    {
        if (string.IsNullOrWhiteSpace(value)) return (null, null);
        var ids = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        if (ids.Count > MaxWatchedServers) return (null, $"'servers' lists more than {MaxWatchedServers} servers; leave it out to watch them all.");
        if (ids.FirstOrDefault(id => !ServerId().IsMatch(id)) is { } bad)
            return (null, $"'servers': '{bad[..Math.Min(bad.Length, 64)]}' is not a server id (lowercase letters, digits, '.', '_', '-').");
        return (ids, null);
    }

    private static async Task WriteAsync(Stream output, string text, CancellationToken cancellationToken)
    {
        await output.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
        await output.FlushAsync(cancellationToken);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex ServerId();

    /// <summary>
    /// One page's entries in <c>ws:subscribers:{server_id}</c>. Live updates are best-effort: when the
    /// state store is away the stream goes on, the failure is logged, and the next renewal tries again.
    /// </summary>
    private sealed partial class Membership(ILiveSubscriptions subscriptions, IServerStore servers, IReadOnlySet<string>? watched, string subscriberId, ILogger logger)
    {
        private static readonly TimeSpan LeaveTimeout = TimeSpan.FromSeconds(5);
        private readonly HashSet<string> _joined = new(StringComparer.Ordinal);

        public async Task RenewAsync(CancellationToken cancellationToken)
        {
            try
            {
                var wanted = watched ?? (await servers.ListAsync(cancellationToken)).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
                foreach (var serverId in wanted)
                {
                    await subscriptions.AddAsync(serverId, subscriberId, SubscriptionTtl, cancellationToken);
                    _joined.Add(serverId);
                }

                // Servers removed since the last renewal: leave them now rather than at the lease's end.
                foreach (var gone in _joined.Where(id => !wanted.Contains(id)).ToList())
                {
                    await subscriptions.RemoveAsync(gone, subscriberId, cancellationToken);
                    _joined.Remove(gone);
                }
            }
            catch (StateUnavailableException ex)
            {
                LogRenewFailed(subscriberId, ex.Message);
            }
        }

        /// <summary>On disconnect; the request is over, so it gets its own short deadline.</summary>
        public async Task LeaveAsync()
        {
            using var timeout = new CancellationTokenSource(LeaveTimeout);
            try
            {
                foreach (var serverId in _joined)
                    await subscriptions.RemoveAsync(serverId, subscriberId, timeout.Token);
            }
            catch (Exception ex) when (ex is StateUnavailableException or OperationCanceledException)
            {
                LogLeaveFailed(subscriberId, _joined.Count, ex.Message);
            }
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "Live page {SubscriberId}: could not renew its ws:subscribers entries ({Reason}); retrying at the next renewal")]
        private partial void LogRenewFailed(string subscriberId, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Live page {SubscriberId} left, but its {Count} ws:subscribers entries were not removed ({Reason}); they lapse with their lease")]
        private partial void LogLeaveFailed(string subscriberId, int count, string reason);
    }
}
