using ChatOps.Core.Ports;
using ChatOps.Redis.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ChatOps.Redis;

/// <summary>
/// The one Redis connection (a StackExchange.Redis multiplexer) shared by every Redis adapter of a
/// process. It is created on first use (or at start-up by the hosted service <see cref="RedisStateExtensions.AddRedisState"/>
/// registers), reconnects by itself after Redis went away, and while it is away every operation fails at once
/// with <see cref="StateUnavailableException"/> instead of queueing: a chat command gets a clear
/// "try again" reply, and the next one works as soon as Redis is back.
/// </summary>
public sealed partial class RedisStateConnection : IAsyncDisposable, IDisposable
{
    private readonly ConfigurationOptions _configuration;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private ConnectionMultiplexer? _multiplexer;
    private volatile bool _closed;

    public RedisStateConnection(IOptions<RedisStateOptions> options, ILogger<RedisStateConnection>? logger = null)
        : this(options?.Value!, logger)
    {
    }

    public RedisStateConnection(RedisStateOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = options.Validate();
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(nameof(RedisStateOptions), typeof(RedisStateOptions), failures);
        }

        _logger = logger ?? NullLogger.Instance;
        KeyPrefix = options.KeyPrefix;
        MetricsTtl = options.MetricsTtl;
        OperationTimeout = options.OperationTimeout;
        _configuration = BuildConfiguration(options);
        Endpoints = string.Join(", ", _configuration.EndPoints.Select(e => e.ToString()));
        LockReplicaAcks = options.LockReplicaAcks;

        // WAIT holds the shared connection until it returns, so it is kept short: a healthy replica
        // acknowledges within milliseconds, and while none answers every lock request pays this much.
        ReplicaAckTimeout = TimeSpan.FromTicks(Math.Min(options.OperationTimeout.Ticks / 4, TimeSpan.FromMilliseconds(250).Ticks));
    }

    /// <summary>The servers this connection talks to, for messages.</summary>
    public string Endpoints { get; }

    /// <summary>True while the multiplexer has a live connection to Redis.</summary>
    public bool IsConnected => _multiplexer is { IsConnected: true };

    internal string KeyPrefix { get; }

    /// <summary>The multiplexer, once created (tests check it survives a Redis restart).</summary>
    internal ConnectionMultiplexer? Multiplexer => Volatile.Read(ref _multiplexer);

    internal TimeSpan MetricsTtl { get; }

    internal TimeSpan OperationTimeout { get; }

    /// <summary>Replicas that must acknowledge a lock grant or renewal; null: 1 while one is connected (see <see cref="RedisStateOptions.LockReplicaAcks"/>).</summary>
    internal int? LockReplicaAcks { get; }

    /// <summary>How long a lock grant waits for its replica acknowledgements.</summary>
    internal TimeSpan ReplicaAckTimeout { get; }

    /// <summary>
    /// Creates the multiplexer if it does not exist yet. Returns once connected or after one connect
    /// timeout; when Redis is not there yet the multiplexer keeps trying in the background.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        var multiplexer = await GetMultiplexerAsync(cancellationToken);
        if (!multiplexer.IsConnected)
        {
            LogNotConnectedAtStart(Endpoints);
            return;
        }

        await WaitForSubscriptionLinkAsync(multiplexer, cancellationToken);
    }

    /// <summary>
    /// The interactive link can be up a moment before the subscription link, and commands fail fast, so a
    /// SUBSCRIBE sent in between would be refused as "Redis unavailable" though Redis is there. At start,
    /// wait (bounded by the connect timeout) until the subscription link answers a PING too.
    /// </summary>
    private async Task WaitForSubscriptionLinkAsync(ConnectionMultiplexer multiplexer, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(_configuration.ConnectTimeout);
        while (true)
        {
            try
            {
                await multiplexer.GetSubscriber().PingAsync().WaitAsync(cancellationToken);
                return;
            }
            catch (Exception ex) when (RedisFailures.IsUnavailable(ex) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
            }
            catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
            {
                LogNotConnectedAtStart(Endpoints); // later calls fail fast and the link keeps reconnecting
                return;
            }
        }
    }

    /// <summary>The health probe for <c>/readyz</c>: true when Redis answers a PING within the operation timeout.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await RunAsync(db => db.PingAsync(), cancellationToken);
            return true;
        }
        catch (StateUnavailableException)
        {
            return false;
        }
    }

    /// <summary>Closes the connection; later operations fail with <see cref="StateUnavailableException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        _closed = true;
        await _connectGate.WaitAsync();
        try
        {
            if (_multiplexer is { } multiplexer)
            {
                _multiplexer = null;
                await multiplexer.CloseAsync(allowCommandsToComplete: true);
                await multiplexer.DisposeAsync();
            }
        }
        finally
        {
            _connectGate.Release();
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>The key name with this installation's prefix.</summary>
    internal RedisKey Key(string name) => KeyPrefix + name;

    internal RedisChannel Channel(string name) => RedisChannel.Literal(KeyPrefix + name);

    /// <summary>Runs one Redis call, turning "Redis is away" into <see cref="StateUnavailableException"/>.</summary>
    internal async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> call, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            var multiplexer = await GetMultiplexerAsync(cancellationToken);

            // StackExchange.Redis takes no token: a cancelled caller stops waiting, the command itself
            // still completes (or times out) on the server side.
            return await call(multiplexer.GetDatabase()).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw RedisFailures.ToUnavailable(ex, Endpoints, OperationTimeout);
        }
    }

    internal Task RunAsync(Func<IDatabase, Task> call, CancellationToken cancellationToken) =>
        RunAsync(async db =>
        {
            await call(db);
            return true;
        }, cancellationToken);

    /// <summary>Like <see cref="RunAsync{T}"/>, for the pub/sub side of the connection.</summary>
    internal async Task<T> RunOnSubscriberAsync<T>(Func<ISubscriber, Task<T>> call, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            var multiplexer = await GetMultiplexerAsync(cancellationToken);
            return await call(multiplexer.GetSubscriber()).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw RedisFailures.ToUnavailable(ex, Endpoints, OperationTimeout);
        }
    }

    private async ValueTask<ConnectionMultiplexer> GetMultiplexerAsync(CancellationToken cancellationToken)
    {
        if (_closed)
        {
            throw RedisFailures.Closed();
        }

        if (Volatile.Read(ref _multiplexer) is { } existing)
        {
            return existing;
        }

        await _connectGate.WaitAsync(cancellationToken);
        try
        {
            if (_closed)
            {
                throw RedisFailures.Closed();
            }

            if (_multiplexer is null)
            {
                // With AbortOnConnectFail off this returns even when Redis is down, and keeps trying.
                var multiplexer = await ConnectionMultiplexer.ConnectAsync(_configuration);
                multiplexer.ConnectionFailed += OnConnectionFailed;
                multiplexer.ConnectionRestored += OnConnectionRestored;
                Volatile.Write(ref _multiplexer, multiplexer);
            }

            return _multiplexer;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    private static ConfigurationOptions BuildConfiguration(RedisStateOptions options)
    {
        var configuration = ConfigurationOptions.Parse(options.Configuration);

        // Never give up: a Redis that is down at start-up or restarts later is waited for in the background.
        configuration.AbortOnConnectFail = false;
        configuration.ConnectRetry = 3;
        configuration.ConnectTimeout = (int)options.ConnectTimeout.TotalMilliseconds;
        configuration.SyncTimeout = (int)options.OperationTimeout.TotalMilliseconds;
        configuration.AsyncTimeout = (int)options.OperationTimeout.TotalMilliseconds;

        // Fail at once while disconnected instead of queueing commands until Redis is back: a lock
        // acquired minutes late, or a pile of stale commands replayed at reconnect, is worse than a
        // clear "try again" now.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;

        // Quick first retries after a blip, at most every 5 s during a long outage.
        configuration.ReconnectRetryPolicy = new ExponentialRetry(250, 5000);
        configuration.ClientName ??= "chatops";
        return configuration;
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e) =>
        LogConnectionFailed(e.EndPoint?.ToString() ?? Endpoints, e.ConnectionType, e.FailureType, e.Exception);

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e) =>
        LogConnectionRestored(e.EndPoint?.ToString() ?? Endpoints, e.ConnectionType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is not reachable at {Endpoints} yet; state operations fail until it is, the connection keeps trying")]
    private partial void LogNotConnectedAtStart(string endpoints);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis connection to {Endpoint} ({ConnectionType}) lost: {FailureType}; state operations fail fast until it is back")]
    private partial void LogConnectionFailed(string endpoint, ConnectionType connectionType, ConnectionFailureType failureType, Exception? exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis connection to {Endpoint} ({ConnectionType}) restored")]
    private partial void LogConnectionRestored(string endpoint, ConnectionType connectionType);
}
