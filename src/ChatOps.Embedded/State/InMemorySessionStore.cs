using ChatOps.Core.Ports;

namespace ChatOps.Embedded.State;

/// <summary>
/// The in-process <see cref="ISessionStore"/>: <c>session:{user_id}</c> as a dictionary of sessions per
/// user, under one lock. Expired sessions are dropped when their user's entry is touched. Everything is
/// lost on restart, which signs everyone out: the embedded default's access tokens are signed with a
/// per-process key unless one is configured, so they would not survive either.
/// </summary>
public sealed class InMemorySessionStore(TimeProvider? timeProvider = null) : ISessionStore
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly Lock _sync = new();
    private readonly Dictionary<string, Dictionary<string, RefreshSession>> _byUser = new(StringComparer.Ordinal);

    public Task CreateAsync(RefreshSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentException.ThrowIfNullOrWhiteSpace(session.UserId, nameof(session));
        ArgumentException.ThrowIfNullOrWhiteSpace(session.Id, nameof(session));
        lock (_sync)
        {
            if (!_byUser.TryGetValue(session.UserId, out var sessions)) _byUser[session.UserId] = sessions = new(StringComparer.Ordinal);
            sessions[session.Id] = session;
        }

        return Task.CompletedTask;
    }

    public Task<RefreshSession?> GetAsync(string userId, string sessionId, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            return Task.FromResult(Live(userId)?.GetValueOrDefault(sessionId));
        }
    }

    public Task<RotationOutcome> RotateAsync(string userId, string sessionId, string presentedTokenHash, string newTokenHash, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            var sessions = Live(userId);
            if (sessions is null || !sessions.TryGetValue(sessionId, out var session)) return Task.FromResult(RotationOutcome.Unknown);
            if (!string.Equals(session.TokenHash, presentedTokenHash, StringComparison.Ordinal))
            {
                sessions.Remove(sessionId);
                return Task.FromResult(RotationOutcome.Reused);
            }

            sessions[sessionId] = session with { TokenHash = newTokenHash, LastUsedAt = now };
            return Task.FromResult(RotationOutcome.Rotated);
        }
    }

    public Task<IReadOnlyList<RefreshSession>> ListAsync(string userId, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            IReadOnlyList<RefreshSession> list = Live(userId)?.Values.OrderBy(s => s.CreatedAt).ThenBy(s => s.Id, StringComparer.Ordinal).ToList() ?? [];
            return Task.FromResult(list);
        }
    }

    public Task<bool> RevokeAsync(string userId, string sessionId, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            return Task.FromResult(Live(userId)?.Remove(sessionId) ?? false);
        }
    }

    public Task<int> RevokeAllAsync(string userId, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            var count = Live(userId)?.Count ?? 0;
            _byUser.Remove(userId);
            return Task.FromResult(count);
        }
    }

    // Caller holds the lock. Drops expired sessions of the user and returns what is left.
    private Dictionary<string, RefreshSession>? Live(string userId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        if (!_byUser.TryGetValue(userId, out var sessions)) return null;
        var now = _time.GetUtcNow();
        foreach (var expired in sessions.Values.Where(s => s.ExpiresAt <= now).Select(s => s.Id).ToList()) sessions.Remove(expired);
        if (sessions.Count == 0) _byUser.Remove(userId);
        return sessions.Count == 0 ? null : sessions;
    }
}
