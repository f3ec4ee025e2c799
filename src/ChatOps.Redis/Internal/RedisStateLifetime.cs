using Microsoft.Extensions.Hosting;

namespace ChatOps.Redis.Internal;

/// <summary>
/// Connects at start-up, so the first chat command does not pay for the connection and a Redis that
/// is not there yet is logged at once; closes the connection at shutdown.
/// </summary>
internal sealed class RedisStateLifetime(RedisStateConnection connection) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => connection.ConnectAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken) => await connection.DisposeAsync();
}
