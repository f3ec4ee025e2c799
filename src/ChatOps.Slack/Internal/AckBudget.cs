namespace ChatOps.Slack.Internal;

/// <summary>Waits for work only as long as Slack's 3-second window allows, measured from arrival.</summary>
internal static class AckBudget
{
    /// <summary>True when <paramref name="work"/> finished (well or not) within the budget left.</summary>
    public static async Task<bool> WaitAsync(Task work, long arrivedTimestamp, TimeSpan budget, TimeProvider time)
    {
        var left = budget - time.GetElapsedTime(arrivedTimestamp);
        if (work.IsCompleted) return true;
        if (left <= TimeSpan.Zero) return false;
        try
        {
            await work.WaitAsync(left, time);
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (Exception)
        {
            // The work's own failure is handled by whoever reads its result.
        }

        return true;
    }
}
