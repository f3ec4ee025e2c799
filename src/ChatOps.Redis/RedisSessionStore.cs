using System.Text.Json;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Redis.Internal;
using StackExchange.Redis;

namespace ChatOps.Redis;

/// <summary>
/// <see cref="ISessionStore"/> on Redis: each user's sessions in the hash <c>session:{user_id}</c>
/// (fields <c>h:{sid}</c> = refresh-token hash, <c>m:{sid}</c> = metadata), so every web node shares
/// them and a revocation takes effect everywhere at once. Rotation is one script (compare-and-swap
/// with reuse detection). The key expires with its longest-lived session; shorter ones are ignored
/// once past their <see cref="RefreshSession.ExpiresAt"/> and removed when next touched.
/// </summary>
public sealed class RedisSessionStore(RedisStateConnection connection, TimeProvider? timeProvider = null) : ISessionStore
{
    private readonly RedisStateConnection _connection = connection ?? throw new ArgumentNullException(nameof(connection));
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public Task CreateAsync(RefreshSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentException.ThrowIfNullOrWhiteSpace(session.UserId, nameof(session));
        ArgumentException.ThrowIfNullOrWhiteSpace(session.Id, nameof(session));
        var lifetime = Math.Max(1000, (long)(session.ExpiresAt - _time.GetUtcNow()).TotalMilliseconds);
        return _connection.RunAsync(db => db.ScriptEvaluateAsync(SessionScripts.Create, [Key(session.UserId)],
            [session.Id, session.TokenHash, Meta.Write(session), lifetime]), cancellationToken);
    }

    public async Task<RefreshSession?> GetAsync(string userId, string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        var key = Key(userId);
        var values = await _connection.RunAsync(db => db.HashGetAsync(key, ["h:" + sessionId, "m:" + sessionId]), cancellationToken);
        if (values[0].IsNull || values[1].IsNull) return null;
        var session = Meta.Read(values[1].ToString(), values[0].ToString());
        if (session.ExpiresAt > _time.GetUtcNow()) return session;
        await RevokeAsync(userId, sessionId, cancellationToken);
        return null;
    }

    public async Task<RotationOutcome> RotateAsync(string userId, string sessionId, string presentedTokenHash, string newTokenHash, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var current = await GetAsync(userId, sessionId, cancellationToken);
        if (current is null) return RotationOutcome.Unknown;
        var updated = current with { TokenHash = newTokenHash, LastUsedAt = now };
        var result = await _connection.RunAsync(db => db.ScriptEvaluateAsync(SessionScripts.Rotate, [Key(userId)],
            [sessionId, presentedTokenHash, newTokenHash, Meta.Write(updated)]), cancellationToken);
        return (long)result switch
        {
            1 => RotationOutcome.Rotated,
            2 => RotationOutcome.Reused,
            _ => RotationOutcome.Unknown,
        };
    }

    public async Task<IReadOnlyList<RefreshSession>> ListAsync(string userId, CancellationToken cancellationToken = default)
    {
        var key = Key(userId);
        var entries = await _connection.RunAsync(db => db.HashGetAllAsync(key), cancellationToken);
        var hashes = entries.Where(e => e.Name.ToString().StartsWith("h:", StringComparison.Ordinal))
            .ToDictionary(e => e.Name.ToString()[2..], e => e.Value.ToString(), StringComparer.Ordinal);
        var now = _time.GetUtcNow();
        var sessions = new List<RefreshSession>();
        foreach (var entry in entries.Where(e => e.Name.ToString().StartsWith("m:", StringComparison.Ordinal)))
        {
            var id = entry.Name.ToString()[2..];
            if (!hashes.TryGetValue(id, out var hash)) continue;
            var session = Meta.Read(entry.Value.ToString(), hash);
            if (session.ExpiresAt > now) sessions.Add(session);
            else await RevokeAsync(userId, id, cancellationToken);
        }

        return sessions.OrderBy(s => s.CreatedAt).ThenBy(s => s.Id, StringComparer.Ordinal).ToList();
    }

    public async Task<bool> RevokeAsync(string userId, string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        var key = Key(userId);
        return await _connection.RunAsync(db => db.HashDeleteAsync(key, ["h:" + sessionId, "m:" + sessionId]), cancellationToken) > 0;
    }

    public async Task<int> RevokeAllAsync(string userId, CancellationToken cancellationToken = default)
    {
        var live = await ListAsync(userId, cancellationToken);
        var key = Key(userId);
        await _connection.RunAsync(db => db.KeyDeleteAsync(key), cancellationToken);
        return live.Count;
    }

    private RedisKey Key(string userId) => _connection.Key(StateKeys.SessionKey(userId));

    // Our own shape (the token hash lives in its own field), so a change to RefreshSession never silently changes what is stored.
    private sealed record Meta(string Id, string UserId, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset LastUsedAt, string? Client)
    {
        public static string Write(RefreshSession s) =>
            JsonSerializer.Serialize(new Meta(s.Id, s.UserId, s.CreatedAt, s.ExpiresAt, s.LastUsedAt, s.Client), ChatOpsJson.Options);

        public static RefreshSession Read(string json, string tokenHash)
        {
            var meta = JsonSerializer.Deserialize<Meta>(json, ChatOpsJson.Options) ?? throw new InvalidDataException("a session's metadata is null JSON");
            return new RefreshSession(meta.Id, meta.UserId, tokenHash, meta.CreatedAt, meta.ExpiresAt, meta.LastUsedAt, meta.Client);
        }
    }
}
