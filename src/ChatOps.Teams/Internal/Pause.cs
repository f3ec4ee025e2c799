namespace ChatOps.Teams.Internal;

/// <summary>Why the adapter waits: a retry after a failure, or pacing under the platform's rate limits.</summary>
internal enum PauseReason
{
    Retry,
    Pacing,
}

/// <summary>
/// Every wait of the outbound path goes through here, on the injected clock; tests substitute one
/// that records the waits and moves a fake clock instead of sleeping.
/// </summary>
internal class Pause(TimeProvider time)
{
    public virtual Task ForAsync(TimeSpan delay, PauseReason reason, CancellationToken cancellationToken) =>
        delay <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(delay, time, cancellationToken);
}
