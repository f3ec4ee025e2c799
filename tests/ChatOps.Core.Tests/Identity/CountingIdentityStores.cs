using System.Collections.Concurrent;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;

namespace ChatOps.Core.Tests.Identity;

/// <summary>Users and keys in memory, counting the reads the hot path makes; a read can be held open.</summary>
internal sealed class CountingUserStore : IUserStore
{
    private readonly ConcurrentDictionary<string, User> _users = new();
    private readonly ConcurrentDictionary<string, ApiKey> _keys = new();
    private readonly ConcurrentDictionary<string, string> _identities = new();
    private int _keyReads;
    private int _userReads;
    private int _identityReads;

    public int KeyReads => Volatile.Read(ref _keyReads);
    public int UserReads => Volatile.Read(ref _userReads);
    public int IdentityReads => Volatile.Read(ref _identityReads);

    /// <summary>When set, the next user read waits for it (to race an invalidation against a load).</summary>
    public TaskCompletionSource? HoldUserRead { get; set; }

    public TaskCompletionSource UserReadStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task UpsertUserAsync(User user, CancellationToken cancellationToken = default)
    {
        _users[user.Id] = user;
        return Task.CompletedTask;
    }

    public async Task<User?> GetUserAsync(string id, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _userReads);
        var user = _users.GetValueOrDefault(id);
        if (HoldUserRead is { } hold)
        {
            HoldUserRead = null;
            UserReadStarted.TrySetResult();
            await hold.Task;
        }

        return user;
    }

    public Task<IReadOnlyList<User>> ListUsersAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<User>>([.. _users.Values]);

    public Task LinkIdentityAsync(string identity, string userId, CancellationToken cancellationToken = default)
    {
        _identities[identity] = userId;
        return Task.CompletedTask;
    }

    public Task<User?> FindByIdentityAsync(string identity, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _identityReads);
        return Task.FromResult(_identities.TryGetValue(identity, out var id) ? _users.GetValueOrDefault(id) : null);
    }

    public Task<IReadOnlyList<string>> ListIdentitiesAsync(string userId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>([.. _identities.Where(p => p.Value == userId).Select(p => p.Key)]);

    public Task CreateApiKeyAsync(ApiKey key, CancellationToken cancellationToken = default)
    {
        _keys[key.KeyHash] = key;
        return Task.CompletedTask;
    }

    public Task<ApiKey?> FindApiKeyByHashAsync(string keyHash, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _keyReads);
        return Task.FromResult(_keys.TryGetValue(keyHash, out var key) && key.RevokedAt is null ? key : null);
    }

    public Task<bool> RevokeApiKeyAsync(string keyId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        foreach (var (hash, key) in _keys)
        {
            if (key.Id == keyId && key.RevokedAt is null)
            {
                _keys[hash] = key with { RevokedAt = at };
                return Task.FromResult(true);
            }
        }

        return Task.FromResult(false);
    }

    public Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ApiKey>>([.. _keys.Values]);
}

/// <summary>Permission data in memory, counting loads.</summary>
internal sealed class CountingPolicyStore : IPolicyStore
{
    private readonly Lock _sync = new();
    private List<PermissionRule> _rules = [];
    private List<CommandPolicy> _commands = [];
    private int _loads;

    public int Loads => Volatile.Read(ref _loads);

    public Task<PolicyData> LoadAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _loads);
        lock (_sync) return Task.FromResult(new PolicyData([.. _rules], [.. _commands]));
    }

    public Task ReplaceCommandRulesAsync(string command, IReadOnlyList<PermissionRule> rules, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            _rules = [.. _rules.Where(r => r.Command != command), .. rules];
            _commands = [.. _commands.Where(c => c.Command != command), new CommandPolicy(command, null, true, at)];
        }

        return Task.CompletedTask;
    }

    public Task ResetCommandRulesAsync(string command, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            _rules = [.. _rules.Where(r => r.Command != command)];
            _commands = [.. _commands.Where(c => c.Command != command)];
        }

        return Task.CompletedTask;
    }

    public Task SetRiskAsync(string command, Risk? risk, DateTimeOffset at, CancellationToken cancellationToken = default) => Task.CompletedTask;
}

/// <summary>A pub/sub wrapper that reports each message once this process's handler has run.</summary>
internal sealed class SignallingPubSub(IPubSub inner) : IPubSub
{
    private readonly System.Threading.Channels.Channel<string> _handled = System.Threading.Channels.Channel.CreateUnbounded<string>();

    public Task<long> PublishAsync(string channel, string message, CancellationToken cancellationToken = default) =>
        inner.PublishAsync(channel, message, cancellationToken);

    public Task<IAsyncDisposable> SubscribeAsync(string channel, Func<string, Task> handler, CancellationToken cancellationToken = default) =>
        inner.SubscribeAsync(channel, async message =>
        {
            await handler(message);
            _handled.Writer.TryWrite(message);
        }, cancellationToken);

    /// <summary>Waits until a handler here has processed <paramref name="message"/>.</summary>
    public async Task HandledAsync(string message)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (await _handled.Reader.ReadAsync(timeout.Token) != message)
        {
        }
    }
}

/// <summary>A pub/sub that cannot subscribe (Redis down at start).</summary>
internal sealed class BrokenPubSub : IPubSub
{
    public Task<long> PublishAsync(string channel, string message, CancellationToken cancellationToken = default) =>
        throw new StateUnavailableException("redis is down");

    public Task<IAsyncDisposable> SubscribeAsync(string channel, Func<string, Task> handler, CancellationToken cancellationToken = default) =>
        throw new StateUnavailableException("redis is down");
}
