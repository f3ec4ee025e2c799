using ChatOps.Core.Ports;

namespace ChatOps.Embedded.State;

/// <summary>
/// The in-process <see cref="IRateLimiter"/>: an exact sliding-window log per (user, endpoint). A call
/// is allowed while fewer than <see cref="RateLimitPolicy.Limit"/> allowed calls happened in the last
/// <see cref="RateLimitPolicy.Window"/>; refused calls do not count. <see cref="RateLimitDecision.RetryAfter"/>
/// is the exact time until the oldest counted call leaves the window.
/// </summary>
public sealed class InMemoryRateLimiter(TimeProvider? timeProvider = null) : IRateLimiter
{
    // Idle keys are forgotten on a sweep every this many calls, so memory follows active users only.
    private const int SweepEvery = 1024;

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly Lock _sync = new();
    private readonly Dictionary<(string UserId, string Endpoint), CallLog> _logs = [];
    private int _callsSinceSweep;

    public Task<RateLimitDecision> TryAcquireAsync(string userId, string endpoint, RateLimitPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfLessThan(policy.Limit, 1, nameof(policy));
        StateArguments.RequirePositive(policy.Window, nameof(policy));
        cancellationToken.ThrowIfCancellationRequested();

        lock (_sync)
        {
            var now = _time.GetUtcNow();
            SweepIdle(now);
            if (!_logs.TryGetValue((userId, endpoint), out var log))
            {
                log = new CallLog();
                _logs.Add((userId, endpoint), log);
            }

            return Task.FromResult(log.TryAdd(now, policy));
        }
    }

    private void SweepIdle(DateTimeOffset now)
    {
        if (++_callsSinceSweep < SweepEvery)
        {
            return;
        }

        _callsSinceSweep = 0;
        foreach (var (key, log) in _logs)
        {
            if (log.IsIdle(now))
            {
                _logs.Remove(key);
            }
        }
    }

    private sealed class CallLog
    {
        private readonly Queue<DateTimeOffset> _allowedAt = new();
        private TimeSpan _window;

        public RateLimitDecision TryAdd(DateTimeOffset now, RateLimitPolicy policy)
        {
            _window = policy.Window;
            Evict(now);
            if (_allowedAt.Count < policy.Limit)
            {
                _allowedAt.Enqueue(now);
                return new RateLimitDecision(true, policy.Limit - _allowedAt.Count, TimeSpan.Zero);
            }

            // Room appears when all but Limit-1 of the counted calls have left the window (usually just
            // the oldest; more when the policy was lowered meanwhile).
            var mustLeave = _allowedAt.ElementAt(_allowedAt.Count - policy.Limit);
            return new RateLimitDecision(false, 0, mustLeave + _window - now);
        }

        public bool IsIdle(DateTimeOffset now)
        {
            Evict(now);
            return _allowedAt.Count == 0;
        }

        private void Evict(DateTimeOffset now)
        {
            while (_allowedAt.TryPeek(out var at) && at + _window <= now)
            {
                _allowedAt.Dequeue();
            }
        }
    }
}
