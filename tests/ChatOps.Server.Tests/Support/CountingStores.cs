using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOps.Server.Tests.Support;

/// <summary>The host's real user store, counting the reads every request used to make.</summary>
public sealed class CountingUserStore(IUserStore inner) : IUserStore
{
    private int _keyReads;
    private int _userReads;

    public int Reads => Volatile.Read(ref _keyReads) + Volatile.Read(ref _userReads);

    public Task UpsertUserAsync(User user, CancellationToken cancellationToken = default) => inner.UpsertUserAsync(user, cancellationToken);

    public Task<User?> GetUserAsync(string id, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _userReads);
        return inner.GetUserAsync(id, cancellationToken);
    }

    public Task<IReadOnlyList<User>> ListUsersAsync(CancellationToken cancellationToken = default) => inner.ListUsersAsync(cancellationToken);

    public Task LinkIdentityAsync(string identity, string userId, CancellationToken cancellationToken = default) => inner.LinkIdentityAsync(identity, userId, cancellationToken);

    public Task<User?> FindByIdentityAsync(string identity, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _userReads);
        return inner.FindByIdentityAsync(identity, cancellationToken);
    }

    public Task<IReadOnlyList<string>> ListIdentitiesAsync(string userId, CancellationToken cancellationToken = default) => inner.ListIdentitiesAsync(userId, cancellationToken);

    public Task CreateApiKeyAsync(ApiKey key, CancellationToken cancellationToken = default) => inner.CreateApiKeyAsync(key, cancellationToken);

    public Task<ApiKey?> FindApiKeyByHashAsync(string keyHash, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _keyReads);
        return inner.FindApiKeyByHashAsync(keyHash, cancellationToken);
    }

    public Task<bool> RevokeApiKeyAsync(string keyId, DateTimeOffset at, CancellationToken cancellationToken = default) => inner.RevokeApiKeyAsync(keyId, at, cancellationToken);

    public Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(CancellationToken cancellationToken = default) => inner.ListApiKeysAsync(cancellationToken);
}

/// <summary>The host's real policy store, counting loads.</summary>
public sealed class CountingPolicyStore(IPolicyStore inner) : IPolicyStore
{
    private int _loads;

    public int Loads => Volatile.Read(ref _loads);

    public Task<PolicyData> LoadAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _loads);
        return inner.LoadAsync(cancellationToken);
    }

    public Task ReplaceCommandRulesAsync(string command, IReadOnlyList<PermissionRule> rules, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        inner.ReplaceCommandRulesAsync(command, rules, at, cancellationToken);

    public Task ResetCommandRulesAsync(string command, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        inner.ResetCommandRulesAsync(command, at, cancellationToken);

    public Task SetRiskAsync(string command, Risk? risk, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        inner.SetRiskAsync(command, risk, at, cancellationToken);
}

public static class CountingStoreRegistration
{
    /// <summary>Wraps the registered <typeparamref name="TPort"/> (a factory registration) in <paramref name="wrap"/>.</summary>
    public static IServiceCollection Decorate<TPort>(this IServiceCollection services, Func<TPort, TPort> wrap) where TPort : class
    {
        var registered = services.Last(d => d.ServiceType == typeof(TPort));
        services.Remove(registered);
        services.AddSingleton(sp => wrap((TPort)(registered.ImplementationFactory?.Invoke(sp)
            ?? registered.ImplementationInstance
            ?? ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!))));
        return services;
    }
}

/// <summary>A pub/sub wrapper that reports each message once this host's handlers have run.</summary>
public sealed class SignallingPubSub(IPubSub inner) : IPubSub
{
    private readonly System.Threading.Channels.Channel<string> _handled = System.Threading.Channels.Channel.CreateUnbounded<string>();

    public Task<long> PublishAsync(string channel, string message, CancellationToken cancellationToken = default) =>
        inner.PublishAsync(channel, message, cancellationToken);

    public Task<IAsyncDisposable> SubscribeAsync(string channel, Func<string, Task> handler, CancellationToken cancellationToken = default) =>
        inner.SubscribeAsync(channel, async message =>
        {
            await handler(message);
            _handled.Writer.TryWrite(channel + " " + message);
        }, cancellationToken);

    public async Task HandledAsync(string channel, string message)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (await _handled.Reader.ReadAsync(timeout.Token) != channel + " " + message)
        {
        }
    }
}
