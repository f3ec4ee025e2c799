using System.Diagnostics;

namespace ChatOps.Redis.Tests.Support;

/// <summary>
/// Waits for a condition that has no event to wait on (a client reconnecting on its own schedule),
/// checking it every few milliseconds and failing with <paramref name="what"/> after a bounded time.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(25);

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan patience, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > patience)
            {
                throw new TimeoutException($"Waited {patience} for {what}.");
            }

            await Task.Delay(Poll);
        }
    }
}
