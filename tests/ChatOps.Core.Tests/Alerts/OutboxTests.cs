using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Notifications;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ChatOps.Core.Tests.Alerts;

/// <summary>Email and webhook routes: queued once in the outbox, delivered with retry and backoff, never lost.</summary>
public sealed class OutboxTests
{
    private static readonly AlertRoute Hook = new("webhook", "http://127.0.0.1:9/hook");

    [Fact]
    public async Task Duplicate_events_queue_one_message_per_route_and_event()
    {
        await using var h = await AlertHarness.StartAsync();
        var delivery = new ScriptedDelivery();
        var notifier = Notifier(h, delivery);
        var alert = NotifierTests.Sample(h) with { Terms = NotifierTests.Sample(h).Terms with { Routes = [Hook, AlertHarness.Route] } };

        for (var i = 0; i < 3; i++) await notifier.HandleAsync(AlertEnvelopes.Create(alert, h.Time.GetUtcNow()), CancellationToken.None);

        var queued = await Outbox(h).ListAsync();
        var message = Assert.Single(queued);
        Assert.Equal("webhook", message.Platform);
        Assert.Equal(new NotificationKey(alert.Id, Hook.Key, "fired"), message.Key);
        Assert.Equal("alert.fired", JsonDocument.Parse(message.Payload).RootElement.GetProperty("event").GetString());
        Assert.Contains("[WARNING]", message.Title);
        Assert.Single(h.Channel.Roots(alert.Id));
    }

    [Fact]
    public async Task A_failing_receiver_is_retried_with_growing_backoff_until_it_accepts()
    {
        await using var h = await AlertHarness.StartAsync(o =>
        {
            o.DeliveryInitialBackoff = TimeSpan.FromSeconds(10);
            o.DeliveryMaxBackoff = TimeSpan.FromMinutes(1);
        });
        var delivery = new ScriptedDelivery(DeliveryResult.Retry("HTTP 503"), DeliveryResult.Retry("HTTP 503"), DeliveryResult.Delivered);
        await Notifier(h, delivery).HandleAsync(AlertEnvelopes.Create(WithHook(h), h.Time.GetUtcNow()), CancellationToken.None);
        var drainer = Drainer(h, delivery);

        Assert.Equal(0, await drainer.DrainOnceAsync(CancellationToken.None));
        Assert.Equal(0, await drainer.DrainOnceAsync(CancellationToken.None));
        h.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, await drainer.DrainOnceAsync(CancellationToken.None));
        h.Time.Advance(TimeSpan.FromSeconds(19));
        Assert.Equal(0, await drainer.DrainOnceAsync(CancellationToken.None));
        Assert.Equal(2, delivery.Calls);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await drainer.DrainOnceAsync(CancellationToken.None));

        var message = Assert.Single(await Outbox(h).ListAsync());
        Assert.Equal(OutboxState.Delivered, message.State);
        Assert.Equal(3, message.Attempts);
        Assert.Equal(TimeSpan.FromMinutes(1), drainer.Backoff(10));
    }

    [Fact]
    public async Task A_rejected_message_fails_at_once_and_a_retried_one_fails_after_max_attempts()
    {
        await using var h = await AlertHarness.StartAsync(o =>
        {
            o.DeliveryMaxAttempts = 2;
            o.DeliveryInitialBackoff = TimeSpan.FromSeconds(1);
        });
        var rejecting = new ScriptedDelivery(DeliveryResult.Rejected("HTTP 404"));
        await Notifier(h, rejecting).HandleAsync(AlertEnvelopes.Create(WithHook(h, "a1"), h.Time.GetUtcNow()), CancellationToken.None);
        await Drainer(h, rejecting).DrainOnceAsync(CancellationToken.None);
        Assert.Equal("HTTP 404", Assert.Single(await Outbox(h).ListAsync(OutboxState.Failed)).LastError);

        var throwing = new ScriptedDelivery { Throw = true };
        await Notifier(h, throwing).HandleAsync(AlertEnvelopes.Create(WithHook(h, "a2"), h.Time.GetUtcNow()), CancellationToken.None);
        var drainer = Drainer(h, throwing);
        await drainer.DrainOnceAsync(CancellationToken.None);
        Assert.Single(await Outbox(h).ListAsync(OutboxState.Pending));
        h.Time.Advance(TimeSpan.FromSeconds(1));
        await drainer.DrainOnceAsync(CancellationToken.None);

        Assert.Empty(await Outbox(h).ListAsync(OutboxState.Pending));
        Assert.Equal(2, (await Outbox(h).ListAsync(OutboxState.Failed)).Count);
        Assert.Equal(2, throwing.Calls);
    }

    [Fact]
    public async Task The_webhook_posts_json_and_classifies_answers()
    {
        using var receiver = new TinyHttpReceiver();
        using var http = new HttpClient();
        var webhook = new WebhookAlertDelivery(http);
        var message = new OutboxMessage
        {
            Key = new NotificationKey("a1", "webhook:x", "fired"),
            Platform = "webhook",
            Destination = receiver.Url,
            Title = "t",
            Body = "b",
            Payload = """{"event":"alert.fired"}""",
            NextAttemptAt = AlertHarness.Start,
            CreatedAt = AlertHarness.Start,
        };

        receiver.Status = HttpStatusCode.OK;
        Assert.Equal(DeliveryOutcome.Delivered, (await webhook.DeliverAsync(message)).Outcome);
        Assert.Contains("""{"event":"alert.fired"}""", receiver.LastRequest);
        Assert.Contains("Idempotency-Key: a1:webhook:x:fired", receiver.LastRequest);
        receiver.Status = HttpStatusCode.ServiceUnavailable;
        Assert.Equal(DeliveryOutcome.Retry, (await webhook.DeliverAsync(message)).Outcome);
        receiver.Status = HttpStatusCode.TooManyRequests;
        Assert.Equal(DeliveryOutcome.Retry, (await webhook.DeliverAsync(message)).Outcome);
        receiver.Status = HttpStatusCode.NotFound;
        Assert.Equal(DeliveryOutcome.Rejected, (await webhook.DeliverAsync(message)).Outcome);
        Assert.Equal(DeliveryOutcome.Rejected, (await webhook.DeliverAsync(message with { Destination = "ftp://x" })).Outcome);
        receiver.Dispose();
        Assert.Equal(DeliveryOutcome.Retry, (await webhook.DeliverAsync(message)).Outcome);
    }

    private static AlertRecord WithHook(AlertHarness h, string id = "a1b2c3d4")
    {
        var sample = NotifierTests.Sample(h, id);
        return sample with { Terms = sample.Terms with { Routes = [Hook] } };
    }

    private static INotificationOutbox Outbox(AlertHarness h) => h.Services.GetRequiredService<INotificationOutbox>();

    private static AlertNotifier Notifier(AlertHarness h, IAlertDelivery delivery) => new(
        [h.Channel], [delivery], h.Services.GetRequiredService<INotificationLedger>(), Outbox(h),
        h.Services.GetRequiredService<IOptions<AlertOptions>>(), h.Time, NullLogger<AlertNotifier>.Instance);

    private static OutboxDrainer Drainer(AlertHarness h, IAlertDelivery delivery) => new(
        Outbox(h), [delivery], h.Services.GetRequiredService<IOptions<AlertOptions>>(), h.Time, NullLogger<OutboxDrainer>.Instance);

    /// <summary>Answers with the scripted results in order (then the last one again).</summary>
    private sealed class ScriptedDelivery(params DeliveryResult[] script) : IAlertDelivery
    {
        public string Platform => "webhook";
        public int Calls { get; private set; }
        public bool Throw { get; init; }

        public Task<DeliveryResult> DeliverAsync(OutboxMessage message, CancellationToken cancellationToken = default)
        {
            var call = Calls++;
            if (Throw) throw new IOException("connection reset");
            return Task.FromResult(script.Length == 0 ? DeliveryResult.Delivered : script[Math.Min(call, script.Length - 1)]);
        }
    }

    /// <summary>A one-connection-at-a-time HTTP/1.1 receiver on loopback that answers with <see cref="Status"/>.</summary>
    private sealed class TinyHttpReceiver : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();

        public TinyHttpReceiver()
        {
            _listener.Start();
            Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/hook";
            _ = Task.Run(LoopAsync);
        }

        public string Url { get; }
        public HttpStatusCode Status { get; set; } = HttpStatusCode.OK;
        public string LastRequest { get; private set; } = "";

        private async Task LoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                using (client)
                {
                    var stream = client.GetStream();
                    var request = await ReadRequestAsync(stream);
                    LastRequest = request;
                    var reply = $"HTTP/1.1 {(int)Status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(reply));
                }
            }
        }

        private static async Task<string> ReadRequestAsync(NetworkStream stream)
        {
            var buffer = new byte[65536];
            var text = new StringBuilder();
            while (true)
            {
                var read = await stream.ReadAsync(buffer);
                if (read == 0) break;
                text.Append(Encoding.UTF8.GetString(buffer, 0, read));
                var all = text.ToString();
                var end = all.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end < 0) continue;
                var lengthLine = all[..end].Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                var length = lengthLine is null ? 0 : int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                if (Encoding.UTF8.GetByteCount(all[(end + 4)..]) >= length) break;
            }

            return text.ToString();
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }
    }
}
