using ChatOps.Core.Ports;
using StackExchange.Redis;

namespace ChatOps.Redis.Internal;

/// <summary>
/// Turns "Redis is away" into <see cref="StateUnavailableException"/> with a message short enough for a
/// chat reply; the client's exception (with its long diagnostics) stays as the inner one for logs.
/// Anything else (a bug in a script, a wrong type at a key) is not an availability problem and passes.
/// </summary>
internal static class RedisFailures
{
    private const string Unreachable = "the state store (Redis) is unreachable: ";

    // Server replies that mean "not now" rather than "wrong": still loading its data, a busy script,
    // a replica without its primary, or a demoted primary after a failover.
    private static readonly string[] NotReadyReplies = ["LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN"];

    public static bool IsUnavailable(Exception exception) => exception switch
    {
        RedisConnectionException or RedisTimeoutException => true,
        RedisServerException server => NotReadyReplies.Any(reply => server.Message.StartsWith(reply, StringComparison.Ordinal)),
        ObjectDisposedException => true,
        _ => false,
    };

    public static StateUnavailableException ToUnavailable(Exception exception, string endpoints, TimeSpan timeout) => new(
        Unreachable + exception switch
        {
            RedisConnectionException connection => $"no connection to {endpoints} ({connection.FailureType})",
            RedisTimeoutException => $"no answer from {endpoints} within {timeout.TotalMilliseconds:0} ms",
            RedisServerException server => $"{endpoints} is not ready ({server.Message.Split(' ')[0]})",
            _ => "the connection was closed (the service is shutting down)",
        },
        exception);

    public static StateUnavailableException NotReplicated(string what, int required, long acknowledged, TimeSpan waited) => new(
        Unreachable + $"{what} reached {acknowledged} of the {required} replica(s) it needs within {waited.TotalMilliseconds:0} ms, "
        + "so it was not granted (after a failover it could be lost and the command run twice)");

    public static StateUnavailableException Closed() => new(Unreachable + "the connection was closed (the service is shutting down)");
}
