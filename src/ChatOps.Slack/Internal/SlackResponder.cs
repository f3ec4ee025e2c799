using System.Threading.Channels;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ChatOps.Slack.Internal;

/// <summary>An answer for one user that could not ride on the request's own response.</summary>
internal sealed record PendingAnswer(string RequestId, string ChannelId, string UserId, string? ThreadTs, string? ResponseUrl, SlackMessage Message);

/// <summary>
/// Delivers answers that come after the request was acknowledged (slow slash commands, button
/// clicks) through their <c>response_url</c>, with everything bounded: a queue of
/// <see cref="Capacity"/> answers, <see cref="Workers"/> deliveries at a time, few attempts and a
/// deadline per answer, and a breaker that stops calling response URLs for a while after repeated
/// network failures or 5xx (a DNS or egress outage must not turn every request into minutes of retries).
/// An answer the response URL does not take goes to the user as an ephemeral message with the bot
/// token instead; one that cannot be delivered at all is logged with its request, never dropped silently.
/// Handlers only enqueue, so nothing here can hold up an acknowledgement.
/// </summary>
internal sealed partial class SlackResponder : IAsyncDisposable
{
    public const int Capacity = 2_000;
    public const int Workers = 4;

    /// <summary>Consecutive network failures of response URLs that open the breaker.</summary>
    public const int BreakerThreshold = 5;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan FallbackDeadline = TimeSpan.FromSeconds(60);

    private readonly SlackWebApiClient _api;
    private readonly SlackOutbox _outbox;
    private readonly TimeProvider _time;
    private readonly ILogger<SlackResponder> _logger;
    private readonly Channel<PendingAnswer> _queue = Channel.CreateBounded<PendingAnswer>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails, and the caller logs what was not queued
        SingleWriter = false,
        SingleReader = false,
    });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task[] _workers;
    private readonly Lock _breakerLock = new();
    private int _networkFailures;
    private DateTimeOffset _openUntil;

    public SlackResponder(SlackWebApiClient api, SlackOutbox outbox, TimeProvider time, ILogger<SlackResponder> logger)
    {
        _api = api;
        _outbox = outbox;
        _time = time;
        _logger = logger;
        _workers = Enumerable.Range(0, Workers).Select(_ => Task.Run(WorkAsync)).ToArray();
    }

    /// <summary>How long the breaker stays open once tripped.</summary>
    public static TimeSpan BreakerOpenFor { get; } = TimeSpan.FromSeconds(30);

    /// <summary>Answers waiting for a worker.</summary>
    public int Queued => _queue.Reader.Count;

    /// <summary>Queues <paramref name="answer"/>; false (and logged) when the queue is full.</summary>
    public bool TryQueue(PendingAnswer answer)
    {
        if (_queue.Writer.TryWrite(answer)) return true;
        LogNotQueued(answer.RequestId, answer.UserId, answer.ChannelId, Capacity);
        return false;
    }

    private async Task WorkAsync()
    {
        try
        {
            await foreach (var answer in _queue.Reader.ReadAllAsync(_stopping.Token))
            {
                try
                {
                    await DeliverAsync(answer);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
                {
                    LogLost(ex, answer.RequestId, answer.UserId, answer.ChannelId, "internal");
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // shutting down; what is left is counted in DisposeAsync
        }
    }

    private async Task DeliverAsync(PendingAnswer answer)
    {
        var reason = "no_response_url";
        if (answer.ResponseUrl is { } url)
        {
            if (BreakerOpen())
            {
                reason = "response_url_breaker_open";
            }
            else
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                deadline.CancelAfter(Deadline);
                try
                {
                    await _api.PostToResponseUrlAsync(url, answer.Message, maxAttempts: 2, cancellationToken: deadline.Token);
                    Record(success: true, "ok");
                    return;
                }
                catch (ChatDeliveryException ex)
                {
                    Record(success: false, ex.ErrorCode);
                    reason = ex.ErrorCode;
                }
                catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
                {
                    Record(success: false, "timeout");
                    reason = "timeout";
                }
            }
        }

        if (answer.ResponseUrl is not null) LogFallingBack(answer.RequestId, reason);
        try
        {
            await _outbox.Enqueue(Outbound.Ephemeral(answer.ChannelId, answer.UserId, answer.ThreadTs, answer.Message))
                .WaitAsync(FallbackDeadline, _time, _stopping.Token);
        }
        catch (ChatDeliveryException ex)
        {
            LogLost(null, answer.RequestId, answer.UserId, answer.ChannelId, $"{reason}, then chat.postEphemeral {ex.ErrorCode}");
        }
        catch (TimeoutException)
        {
            LogLost(null, answer.RequestId, answer.UserId, answer.ChannelId, $"{reason}, then chat.postEphemeral not sent within {FallbackDeadline.TotalSeconds:0} s");
        }
    }

    private bool BreakerOpen()
    {
        lock (_breakerLock) return _time.GetUtcNow() < _openUntil;
    }

    // Only trouble on the way (network, timeouts, 5xx) trips the breaker: a refused answer (expired_url,
    // no_text) says nothing about the next URL.
    private void Record(bool success, string errorCode)
    {
        var network = !success && (errorCode.StartsWith("network", StringComparison.Ordinal) || errorCode == "timeout"
            || errorCode.StartsWith("http_5", StringComparison.Ordinal));
        lock (_breakerLock)
        {
            if (!network)
            {
                if (success) _networkFailures = 0;
                return;
            }

            if (++_networkFailures < BreakerThreshold) return;
            _networkFailures = 0;
            _openUntil = _time.GetUtcNow() + BreakerOpenFor;
        }

        LogBreakerOpen(errorCode, BreakerOpenFor.TotalSeconds);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_workers).WaitAsync(TimeSpan.FromSeconds(5), _time);
        }
        catch (TimeoutException)
        {
            // workers still delivering; cancelled below
        }

        await _stopping.CancelAsync();
        if (_queue.Reader.Count > 0) LogAbandoned(_queue.Reader.Count);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The answer of Slack request {RequestId} for {UserId} in {Channel} was not queued: {Capacity} answers are waiting already")]
    private partial void LogNotQueued(string requestId, string userId, string channel, int capacity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The answer of Slack request {RequestId} did not go through its response_url ({Reason}); sending it as an ephemeral message")]
    private partial void LogFallingBack(string requestId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The answer of Slack request {RequestId} for {UserId} in {Channel} could not be delivered: {Reason}")]
    private partial void LogLost(Exception? exception, string requestId, string userId, string channel, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Slack response URLs keep failing ({ErrorCode}); answers go as ephemeral messages for the next {Seconds:0} s")]
    private partial void LogBreakerOpen(string errorCode, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shutting down with {Count} Slack answer(s) still queued; they are not delivered")]
    private partial void LogAbandoned(int count);
}
