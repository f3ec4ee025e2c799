using System.Net;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ChatOps.Teams.Internal;

/// <summary>
/// One HTTP call with the retry rules Teams asks for: 429, 412, 502, 503 and 504 (and network errors
/// and timeouts) are retried with exponential backoff and ±20 % jitter, honouring Retry-After when
/// present; anything else that is not a success is final and throws <see cref="ChatDeliveryException"/>
/// with the code <c>http_{status}</c>.
/// </summary>
internal sealed partial class ResilientHttp(HttpClient http, TeamsOptions options, Pause pause, TimeProvider time, ILogger<TeamsConnectorClient> logger, TeamsMetrics? metrics = null)
{
    public const string Platform = "teams";

    // Teams' own guidance names 429, 412, 502 and 504; 503 is the same kind of "not now".
    private static readonly HashSet<HttpStatusCode> Retryable =
        [HttpStatusCode.TooManyRequests, HttpStatusCode.PreconditionFailed, HttpStatusCode.BadGateway, HttpStatusCode.ServiceUnavailable, HttpStatusCode.GatewayTimeout];

    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(5);

    /// <summary>When set by the caller, awaited before each retry (the conversation queue takes an app-wide send slot).</summary>
    internal static readonly AsyncLocal<Func<CancellationToken, Task>?> BeforeRetry = new();
    private const int MaxErrorText = 300;

    /// <summary>Sends the request <paramref name="build"/> makes (a new one per attempt); returns the success body.</summary>
    public async Task<string> SendAsync(Func<HttpRequestMessage> build, string operation, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            string failure;
            TimeSpan? retryAfter = null;
            var throttled = false;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(options.RequestTimeout);
                try
                {
                    using var request = build();
                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
                    var body = await response.Content.ReadAsStringAsync(timeout.Token);
                    if (response.IsSuccessStatusCode) return body;
                    var status = (int)response.StatusCode;
                    metrics?.ApiError(status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    if (!Retryable.Contains(response.StatusCode))
                        throw new ChatDeliveryException(Platform, $"http_{status}", $"{operation} was refused with HTTP {status}: {Shorten(body)}");
                    retryAfter = RetryAfter(response);
                    throttled = response.StatusCode == HttpStatusCode.TooManyRequests || retryAfter is not null;
                    failure = $"HTTP {status}";
                }
                catch (HttpRequestException ex)
                {
                    metrics?.ApiError("network");
                    failure = ex.Message;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    metrics?.ApiError("timeout");
                    failure = $"no answer within {options.RequestTimeout.TotalSeconds:0.#} s";
                }
            }

            if (attempt >= options.MaxAttempts)
            {
                LogGaveUp(operation, attempt, failure);
                throw new ChatDeliveryException(Platform, "gave_up", $"{operation} failed {attempt} time(s); last: {failure}");
            }

            var delay = retryAfter ?? Backoff(attempt);
            LogRetrying(operation, failure, attempt, delay.TotalMilliseconds);
            if (throttled) metrics?.RateLimitWait(delay);
            await pause.ForAsync(delay, PauseReason.Retry, cancellationToken);
            if (BeforeRetry.Value is { } before) await before(cancellationToken);
        }
    }

    internal TimeSpan Backoff(int attempt)
    {
        var exponential = options.RetryMinDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 20));
        var capped = Math.Min(exponential, options.RetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.8 + (0.4 * Random.Shared.NextDouble())));
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        TimeSpan? wait = header?.Delta ?? (header?.Date is { } date ? date - time.GetUtcNow() : null);
        if (wait is not { } value) return null;
        return value < TimeSpan.Zero ? TimeSpan.Zero : value > MaxRetryAfter ? MaxRetryAfter : value;
    }

    private static string Shorten(string text) => text.Length <= MaxErrorText ? text : text[..MaxErrorText] + "…";

    [LoggerMessage(Level = LogLevel.Information, Message = "Teams {Operation}: {Failure}; attempt {Attempt} failed, retrying in {DelayMs:0} ms")]
    private partial void LogRetrying(string operation, string failure, int attempt, double delayMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Teams {Operation}: gave up after {Attempts} attempt(s); last failure: {Failure}")]
    private partial void LogGaveUp(string operation, int attempts, string failure);
}
