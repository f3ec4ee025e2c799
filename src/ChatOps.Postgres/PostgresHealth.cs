namespace ChatOps.Postgres;

/// <summary>The answer of <see cref="PostgresHealthProbe.CheckAsync"/>: ready, and one line per check (<c>ok</c> or why not).</summary>
public sealed record PostgresHealth(bool IsReady, IReadOnlyDictionary<string, string> Checks);
