namespace ChatOps.Postgres.Internal;

/// <summary>What an operation may do again after a failure.</summary>
internal enum RetryPolicy
{
    /// <summary>Running it twice has the effect of running it once (upserts, DO NOTHING inserts, reads): retried after any transient failure.</summary>
    Idempotent,

    /// <summary>
    /// Its result or effect depends on running once (TryCreate, a transition, a generation bump):
    /// retried only when the server certainly applied nothing (connection never opened, transaction
    /// aborted by a serialization failure or deadlock); a connection lost mid-call is surfaced.
    /// </summary>
    OnlyWhenNothingApplied,
}
