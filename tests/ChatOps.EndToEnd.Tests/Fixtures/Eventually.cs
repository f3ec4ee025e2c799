namespace ChatOps.EndToEnd.Tests.Fixtures;

/// <summary>
/// Waits for a condition that another process brings about (we cannot subscribe to its events):
/// polls briefly and fails with the last observed value, never a fixed sleep.
/// </summary>
public static class Eventually
{
    public static async Task<T> MatchAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, Func<T?, string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        T? last = default;
        Exception? lastError = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await probe();
                if (done(last)) return last;
            }
            catch (HttpRequestException ex)
            {
                lastError = ex;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Condition not met within {timeout.TotalSeconds} s. Last seen: {describe(last)} {lastError?.Message}");
    }
}
