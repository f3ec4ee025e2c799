using System.Diagnostics;
using StackExchange.Redis;

namespace ChatOps.Redis.Tests.Support;

/// <summary>
/// Waits for real time to pass on the Redis clock, which is the clock the adapters' TTLs and windows
/// run on: a probe key is set with a TTL of <c>span</c> and the wait ends when Redis has expired it, so
/// everything given a TTL of at most <c>span</c> before the call has expired too.
/// </summary>
public static class RedisExpiry
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    public static async Task AdvancePastAsync(RedisStateConnection connection, TimeSpan span)
    {
        var probe = connection.Key("expiry-probe:" + Guid.NewGuid().ToString("N"));

        // A few milliseconds more than asked: "past", not "at".
        var ttl = TimeSpan.FromMilliseconds(Math.Ceiling(Math.Max(span.TotalMilliseconds, 0)) + 5);
        await connection.RunAsync(db => db.StringSetAsync(probe, "1", ttl), CancellationToken.None);

        var waited = Stopwatch.StartNew();
        while (await connection.RunAsync(db => db.KeyExistsAsync(probe), CancellationToken.None))
        {
            if (waited.Elapsed > span + Patience)
            {
                throw new TimeoutException($"Redis did not expire {probe} (TTL {ttl}) within {span + Patience}");
            }

            await Task.Delay(Poll);
        }
    }
}
