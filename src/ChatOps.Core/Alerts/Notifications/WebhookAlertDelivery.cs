using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ChatOps.Core.Ports;

namespace ChatOps.Core.Alerts.Notifications;

/// <summary>
/// The generic webhook: POSTs the outbox message's JSON payload to the route's URL. 2xx is
/// delivered; timeouts, network errors, 408, 429 and 5xx are retried; any other answer is final.
/// </summary>
public sealed class WebhookAlertDelivery(HttpClient http) : IAlertDelivery
{
    public const string PlatformName = "webhook";

    public string Platform => PlatformName;

    public async Task<DeliveryResult> DeliverAsync(OutboxMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!Uri.TryCreate(message.Destination, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            return DeliveryResult.Rejected($"'{message.Destination}' is not an http(s) URL");

        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(message.Payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("chatops", "1"));
        request.Headers.TryAddWithoutValidation("Idempotency-Key", $"{message.Key.Subject}:{message.Key.Route}:{message.Key.Event}");
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode) return DeliveryResult.Delivered;
            var error = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
            return response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500
                ? DeliveryResult.Retry(error)
                : DeliveryResult.Rejected(error);
        }
        catch (HttpRequestException ex)
        {
            return DeliveryResult.Retry(ex.Message);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return DeliveryResult.Retry("timed out: " + ex.Message);
        }
    }
}
