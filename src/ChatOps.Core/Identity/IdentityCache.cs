using System.Collections.Concurrent;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ChatOps.Core.Identity;

/// <summary>
/// Keeps what every request asks the store for (the permission rules, the user behind an API key, a
/// chat identity or a user id) in memory for a few seconds, so an ack costs no store reads for them.
/// </summary>
/// <remarks>
/// How stale it can be:
/// <list type="bullet">
/// <item>In this process, never after a change made through ChatOps (policy edits, key revocation,
/// user and identity changes): the writer invalidates right after its store write, and a load that
/// was in flight during the invalidation is not kept (generation check).</item>
/// <item>In other processes, as long as the invalidation takes on <see cref="IPubSub"/> channel
/// <see cref="Channel"/> (milliseconds); when pub/sub is down or a message is lost, at most the TTL of
/// <see cref="IdentityCacheOptions"/> (5 s by default). The cache is used only while this process is
/// subscribed, so a process that could not subscribe reads through.</item>
/// <item>Changes written to the store behind ChatOps' back: the TTL.</item>
/// </list>
/// Failed lookups are never cached: a wrong key costs a store read every time, as before.
/// </remarks>
public sealed partial class IdentityCache : IAsyncDisposable, IDisposable
{
    /// <summary>The pub/sub channel of invalidations: <c>policy</c>, <c>user:{id}</c>, <c>key:{id}</c>, <c>identity:{identity}</c>.</summary>
    public const string Channel = "identity:invalidate";

    private const string PolicyMessage = "policy";
    private const string UserPrefix = "user:";
    private const string KeyPrefix = "key:";
    private const string IdentityPrefix = "identity:";

    private readonly TimeProvider _time;
    private readonly IdentityCacheOptions _options;
    private readonly IPubSub? _pubSub;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, CachedIdentity> _identities = new(StringComparer.Ordinal);
    private readonly PubSubListener _invalidations;
    private CachedPolicy? _policy;
    private long _generation;

    public IdentityCache(TimeProvider time, IOptions<IdentityCacheOptions>? options = null, IPubSub? pubSub = null, ILogger<IdentityCache>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _options = options?.Value ?? new IdentityCacheOptions();
        _pubSub = pubSub;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        // Without invalidations from the others, caching could serve revoked keys: read through until listening.
        _invalidations = new PubSubListener(pubSub, Channel, Apply, time, _options.PolicyTtl, reason => LogSubscribeFailed(reason));
    }

    /// <summary>Bumped by every invalidation; read before a store load and passed to the Store methods.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public bool TryGetPolicy(out PolicySnapshot snapshot)
    {
        snapshot = null!;
        if (Volatile.Read(ref _policy) is not { } cached || cached.ExpiresAt <= _time.GetUtcNow() || !IsLive()) return false;
        snapshot = cached.Snapshot;
        return true;
    }

    public void StorePolicy(PolicySnapshot snapshot, long loadedAtGeneration)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (_options.PolicyTtl <= TimeSpan.Zero || !IsLive()) return;
        var entry = new CachedPolicy(snapshot, _time.GetUtcNow() + _options.PolicyTtl);
        Volatile.Write(ref _policy, entry);
        // An invalidation that raced the load: what was loaded may predate it, so it is not kept.
        if (Generation != loadedAtGeneration) Interlocked.CompareExchange(ref _policy, null, entry);
    }

    public bool TryGetIdentity(string key, out User user, out ApiKey? apiKey)
    {
        user = null!;
        apiKey = null;
        if (!_identities.TryGetValue(key, out var cached)) return false;
        if (cached.ExpiresAt <= _time.GetUtcNow())
        {
            _identities.TryRemove(new KeyValuePair<string, CachedIdentity>(key, cached));
            return false;
        }

        if (!IsLive()) return false;
        user = cached.User;
        apiKey = cached.Key;
        return true;
    }

    /// <summary>Caches a verified lookup (never a failed one).</summary>
    public void StoreIdentity(string key, User user, ApiKey? apiKey, long loadedAtGeneration)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (_options.IdentityTtl <= TimeSpan.Zero || !IsLive()) return;
        if (_identities.Count >= _options.MaxEntries) _identities.Clear();
        var entry = new CachedIdentity(user, apiKey, _time.GetUtcNow() + _options.IdentityTtl);
        _identities[key] = entry;
        if (Generation != loadedAtGeneration) _identities.TryRemove(new KeyValuePair<string, CachedIdentity>(key, entry));
    }

    /// <summary>The rules changed: here at once, elsewhere through pub/sub.</summary>
    public Task InvalidatePolicyAsync(CancellationToken cancellationToken = default) => InvalidateAsync(PolicyMessage, cancellationToken);

    /// <summary>The user changed (roles, name, removed): every cached way to reach them goes.</summary>
    public Task InvalidateUserAsync(string userId, CancellationToken cancellationToken = default) => InvalidateAsync(UserPrefix + userId, cancellationToken);

    /// <summary>The API key was revoked.</summary>
    public Task InvalidateApiKeyAsync(string keyId, CancellationToken cancellationToken = default) => InvalidateAsync(KeyPrefix + keyId, cancellationToken);

    /// <summary>The chat identity was linked elsewhere or unlinked.</summary>
    public Task InvalidateIdentityAsync(string identity, CancellationToken cancellationToken = default) => InvalidateAsync(IdentityPrefix + identity, cancellationToken);

    /// <summary>Starts listening for other processes' invalidations (also done on first use).</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => _invalidations.StartAsync(cancellationToken);

    public ValueTask DisposeAsync() => _invalidations.DisposeAsync();

    public void Dispose() => _invalidations.Dispose();

    private async Task InvalidateAsync(string message, CancellationToken cancellationToken)
    {
        Apply(message);
        if (_pubSub is null) return;
        try
        {
            await _pubSub.PublishAsync(Channel, message, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The store write has happened; other processes catch up within the TTL.
            LogPublishFailed(message, ex.Message);
        }
    }

    private void Apply(string message)
    {
        Interlocked.Increment(ref _generation);
        if (message == PolicyMessage)
        {
            Volatile.Write(ref _policy, null);
        }
        else if (message.StartsWith(UserPrefix, StringComparison.Ordinal))
        {
            var userId = message[UserPrefix.Length..];
            RemoveWhere(entry => entry.User.Id == userId);
        }
        else if (message.StartsWith(KeyPrefix, StringComparison.Ordinal))
        {
            var keyId = message[KeyPrefix.Length..];
            RemoveWhere(entry => entry.Key?.Id == keyId);
        }
        else if (message.StartsWith(IdentityPrefix, StringComparison.Ordinal))
        {
            _identities.TryRemove(IdentityKey(message[IdentityPrefix.Length..]), out _);
        }
        else
        {
            // Unknown (a newer version's message): forgetting everything is always safe.
            Volatile.Write(ref _policy, null);
            _identities.Clear();
        }
    }

    internal static string IdentityKey(string identity) => IdentityPrefix + identity;

    private void RemoveWhere(Func<CachedIdentity, bool> predicate)
    {
        foreach (var pair in _identities)
        {
            if (predicate(pair.Value)) _identities.TryRemove(pair);
        }
    }

    /// <summary>
    /// True when cached answers may be used: there is no pub/sub (a single process), or this process
    /// listens to other processes' invalidations. Starts the subscription when needed.
    /// </summary>
    private bool IsLive() => _invalidations.IsListening;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell other processes that {Change} changed; they see it within the cache TTL: {Reason}")]
    private partial void LogPublishFailed(string change, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not caching users and permissions: could not subscribe to their invalidations ({Reason}); will retry")]
    private partial void LogSubscribeFailed(string reason);

    private sealed record CachedPolicy(PolicySnapshot Snapshot, DateTimeOffset ExpiresAt);

    private sealed record CachedIdentity(User User, ApiKey? Key, DateTimeOffset ExpiresAt);
}
