namespace ChatOps.Postgres;

/// <summary>Whether metrics use TimescaleDB (<c>ChatOps:Postgres:Metrics:Timescale</c>).</summary>
public enum TimescaleMode
{
    /// <summary>Use the <c>timescaledb</c> extension when the server offers it, plain partitioning otherwise.</summary>
    Auto,

    /// <summary>Always plain declarative partitioning, even when TimescaleDB is there.</summary>
    Disabled,

    /// <summary>Fail the migration when TimescaleDB cannot be used.</summary>
    Required,
}
