using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ChatOps.Core.Observability;
using ChatOps.Core.Ports;
using ChatOps.Slack.Internal;
using Microsoft.Extensions.Logging;

namespace ChatOps.Slack;

/// <summary>
/// The few Slack Web API methods ChatOps uses, on <see cref="HttpClient"/>. Every call checks
/// Slack's <c>ok</c> flag and surfaces <c>ok:false</c> as <see cref="ChatDeliveryException"/> with
/// Slack's error code; waits out HTTP 429 for <c>Retry-After</c>; retries 5xx, timeouts and network
/// errors with exponential backoff and jitter. Tokens and response URLs never appear in logs. With a
/// <see cref="ChatOpsMeter"/>, every call that fails for good counts in <c>chatops_chat_api_errors_total</c>
/// (platform, error) and every Retry-After waited out in <c>chatops_chat_rate_limit_wait_seconds</c>.
/// </summary>
public sealed partial class SlackWebApiClient(HttpClient http, SlackOptions options, TimeProvider time, ILogger<SlackWebApiClient> logger, ChatOpsMeter? meter = null)
{
    public const string Platform = "slack";

    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(10);

    /// <summary>chat.postMessage; returns the new message's <c>ts</c>.</summary>
    public async Task<string> PostMessageAsync(string channel, SlackMessage message, string? threadTs = null, CancellationToken cancellationToken = default)
    {
        var result = await CallAsync("chat.postMessage", w =>
        {
            w.WriteString("channel", channel);
            if (threadTs is not null) w.WriteString("thread_ts", threadTs);
            WriteMessage(w, message);
            w.WriteBoolean("unfurl_links", false);
            w.WriteBoolean("unfurl_media", false);
        }, options.BotToken, cancellationToken);
        return result.RootElement.String("ts") ?? throw new ChatDeliveryException(Platform, "no_ts", "chat.postMessage answered ok without a ts");
    }

    /// <summary>chat.update of a message the bot posted.</summary>
    public async Task UpdateMessageAsync(string channel, string ts, SlackMessage message, CancellationToken cancellationToken = default)
    {
        using var _ = await CallAsync("chat.update", w =>
        {
            w.WriteString("channel", channel);
            w.WriteString("ts", ts);
            WriteMessage(w, message);
        }, options.BotToken, cancellationToken);
    }

    /// <summary>chat.postEphemeral: a message only <paramref name="user"/> sees.</summary>
    public async Task PostEphemeralAsync(string channel, string user, SlackMessage message, string? threadTs = null, CancellationToken cancellationToken = default)
    {
        using var _ = await CallAsync("chat.postEphemeral", w =>
        {
            w.WriteString("channel", channel);
            w.WriteString("user", user);
            if (threadTs is not null) w.WriteString("thread_ts", threadTs);
            WriteMessage(w, message);
        }, options.BotToken, cancellationToken);
    }

    /// <summary>
    /// A delayed answer through a <c>response_url</c> (no token needed; the URL is the capability).
    /// Only Slack's own hosts (or the configured API host, for tests) are ever called.
    /// </summary>
    public Task PostToResponseUrlAsync(string responseUrl, SlackMessage message, bool inChannel = false, bool replaceOriginal = false, CancellationToken cancellationToken = default) =>
        PostToResponseUrlAsync(responseUrl, message, options.MaxAttempts, inChannel, replaceOriginal, cancellationToken);

    /// <summary>As above, with at most <paramref name="maxAttempts"/> attempts on network errors, timeouts and 5xx.</summary>
    public async Task PostToResponseUrlAsync(string responseUrl, SlackMessage message, int maxAttempts, bool inChannel = false, bool replaceOriginal = false, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        try
        {
            await PostToResponseUrlOnceAsync(responseUrl, message, inChannel, replaceOriginal, maxAttempts, cancellationToken);
        }
        catch (ChatDeliveryException ex)
        {
            CountError(ex.ErrorCode);
            throw;
        }
    }

    private async Task PostToResponseUrlOnceAsync(string responseUrl, SlackMessage message, bool inChannel, bool replaceOriginal, int maxAttempts, CancellationToken cancellationToken)
    {
        var url = CheckResponseUrl(responseUrl);
        var body = Json(w =>
        {
            w.WriteString("response_type", inChannel ? "in_channel" : "ephemeral");
            w.WriteBoolean("replace_original", replaceOriginal);
            WriteMessage(w, message);
        });
        var (status, text) = await SendAsync("response_url", () => new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent(body) }, maxAttempts, cancellationToken);
        if ((int)status is >= 200 and < 300)
        {
            if (text.TrimStart().StartsWith('{'))
            {
                using var document = ParseAnswer("response_url", text);
                ThrowIfNotOk("response_url", document);
            }

            return;
        }

        throw new ChatDeliveryException(Platform, ErrorCode(text, status), $"Slack refused the response_url post ({(int)status})");
    }

    /// <summary>apps.connections.open with the app-level token: the WebSocket URL for Socket Mode.</summary>
    public async Task<Uri> OpenSocketModeConnectionAsync(CancellationToken cancellationToken = default)
    {
        using var result = await CallAsync("apps.connections.open", null, options.AppToken, cancellationToken);
        var url = result.RootElement.String("url");
        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "wss" or "ws"
            ? uri
            : throw new ChatDeliveryException(Platform, "no_url", "apps.connections.open answered without a WebSocket URL");
    }

    private async Task<JsonDocument> CallAsync(string method, Action<Utf8JsonWriter>? write, string? token, CancellationToken cancellationToken)
    {
        try
        {
            return await CallOnceAsync(method, write, token, cancellationToken);
        }
        catch (ChatDeliveryException ex)
        {
            CountError(ex.ErrorCode);
            throw;
        }
    }

    private void CountError(string errorCode) =>
        meter?.ChatApiErrors.Add(1, new KeyValuePair<string, object?>("platform", Platform), new KeyValuePair<string, object?>("error", errorCode));

    private async Task<JsonDocument> CallOnceAsync(string method, Action<Utf8JsonWriter>? write, string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token)) throw new ChatDeliveryException(Platform, "not_configured", $"no token is configured for {method}");
        var url = new Uri(options.ApiBase, method);
        var body = write is null ? null : Json(write);
        var (status, text) = await SendAsync(method, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = body is null ? new FormUrlEncodedContent([]) : JsonContent(body),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return request;
        }, options.MaxAttempts, cancellationToken);
        if (status is < HttpStatusCode.OK or >= HttpStatusCode.MultipleChoices)
            throw new ChatDeliveryException(Platform, ErrorCode(text, status), $"Slack answered {(int)status} to {method}");

        var document = ParseAnswer(method, text);
        try
        {
            ThrowIfNotOk(method, document);
            return document;
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends with retries. Returns the final status and body for anything that is not worth
    /// retrying; throws once retries are exhausted.
    /// </summary>
    private async Task<(HttpStatusCode Status, string Body)> SendAsync(string method, Func<HttpRequestMessage> build, int maxAttempts, CancellationToken cancellationToken)
    {
        var failures = 0;
        var rateLimitWaits = 0;
        while (true)
        {
            TimeSpan delay;
            string reason;
            using (var timeout = new CancellationTokenSource(options.RequestTimeout, time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
            {
                try
                {
                    using var request = build();
                    using var response = await http.SendAsync(request, linked.Token);
                    var text = await response.Content.ReadAsStringAsync(linked.Token);
                    if (response.StatusCode == HttpStatusCode.TooManyRequests || IsRateLimitedBody(text))
                    {
                        if (++rateLimitWaits > options.MaxRateLimitWaits)
                            throw new ChatDeliveryException(Platform, "rate_limited", $"Slack kept rate-limiting {method}; gave up after {rateLimitWaits - 1} waits");
                        delay = RetryAfter(response.Headers.RetryAfter);
                        LogRateLimited(method, delay.TotalSeconds);
                        meter?.ChatRateLimitWaits.Record(delay.TotalSeconds, new KeyValuePair<string, object?>("platform", Platform));
                        await Task.Delay(delay, time, cancellationToken);
                        continue;
                    }

                    if ((int)response.StatusCode < 500 && response.StatusCode != HttpStatusCode.RequestTimeout)
                        return (response.StatusCode, text);
                    reason = $"http_{(int)response.StatusCode}";
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    reason = "timeout";
                }
                catch (HttpRequestException ex)
                {
                    reason = ex.HttpRequestError == HttpRequestError.Unknown ? "network" : "network_" + ex.HttpRequestError.ToString().ToLowerInvariant();
                }
            }

            if (++failures >= maxAttempts)
            {
                LogGaveUp(method, failures, reason);
                throw new ChatDeliveryException(Platform, reason, $"Slack {method} failed {failures} times ({reason})");
            }

            delay = Backoff(failures);
            LogRetrying(method, reason, failures, delay.TotalMilliseconds);
            await Task.Delay(delay, time, cancellationToken);
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var ceiling = Math.Min(options.MaxRetryDelay.TotalMilliseconds, options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, failures - 1));
        // "Equal jitter": at least half the backoff, so retries spread out without collapsing to zero.
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    private TimeSpan RetryAfter(RetryConditionHeaderValue? header)
    {
        var wait = header?.Delta ?? (header?.Date is { } date ? date - time.GetUtcNow() : TimeSpan.FromSeconds(1));
        if (wait < TimeSpan.Zero) wait = TimeSpan.Zero;
        // Honoured as given (waiting less only earns another 429); capped only against absurd values.
        return wait > MaxRetryAfter ? MaxRetryAfter : wait;
    }

    private static bool IsRateLimitedBody(string text) =>
        text.Length < 200 && text.Contains("\"error\":\"ratelimited\"", StringComparison.Ordinal);

    private Uri CheckResponseUrl(string responseUrl)
    {
        if (Uri.TryCreate(responseUrl, UriKind.Absolute, out var url))
        {
            var slackHost = url.Scheme == Uri.UriSchemeHttps && (url.Host == "slack.com" || url.Host.EndsWith(".slack.com", StringComparison.OrdinalIgnoreCase));
            var apiHost = string.Equals(url.GetLeftPart(UriPartial.Authority), options.ApiBase.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);
            if (slackHost || apiHost) return url;
        }

        throw new ChatDeliveryException(Platform, "bad_response_url", "a response_url that does not point at Slack was refused");
    }

    private static JsonDocument ParseAnswer(string method, string text)
    {
        try
        {
            return SlackJson.Parse(text);
        }
        catch (JsonException)
        {
            throw new ChatDeliveryException(Platform, "invalid_response", $"Slack answered {method} with something that is not JSON");
        }
    }

    private static void ThrowIfNotOk(string method, JsonDocument document)
    {
        if (document.RootElement.Bool("ok")) return;
        var error = document.RootElement.String("error") ?? "unknown_error";
        throw new ChatDeliveryException(Platform, Sanitize(error), $"Slack {method} failed: {Sanitize(error)}");
    }

    private static string ErrorCode(string body, HttpStatusCode status)
    {
        var text = body.Trim();
        if (text.StartsWith('{'))
        {
            try
            {
                using var document = SlackJson.Parse(text);
                if (document.RootElement.String("error") is { } error) return Sanitize(error);
            }
            catch (JsonException)
            {
                // fall through to the status code
            }
        }

        return text.Length is > 0 and <= 64 && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? text : $"http_{(int)status}";
    }

    private static string Sanitize(string code) =>
        new(code.Take(64).Where(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.').ToArray());

    private static void WriteMessage(Utf8JsonWriter w, SlackMessage message)
    {
        w.WriteString("text", message.Text);
        if (message.BlocksJson is not null)
        {
            w.WritePropertyName("blocks");
            w.WriteRawValue(message.BlocksJson);
        }
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return stream.ToArray();
    }

    private static ByteArrayContent JsonContent(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = Encoding.UTF8.WebName };
        return content;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slack rate-limited {Method}; waiting {Seconds} s as Retry-After asks")]
    private partial void LogRateLimited(string method, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slack {Method} failed ({Reason}), attempt {Attempt}; retrying in {DelayMs:0} ms")]
    private partial void LogRetrying(string method, string reason, int attempt, double delayMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Slack {Method} failed {Attempts} times ({Reason}); giving up")]
    private partial void LogGaveUp(string method, int attempts, string reason);
}
