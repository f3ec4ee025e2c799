namespace ChatOps.Postgres;

/// <summary>One schema step. Versions only grow; an applied migration is never edited, a new one is added.</summary>
/// <param name="Version">Positive and unique; applied in ascending order.</param>
/// <param name="Name">Recorded beside the version in <c>schema_migrations</c>.</param>
/// <param name="Sql">One or more statements, run inside the migrator's transaction.</param>
public sealed record PostgresMigration(int Version, string Name, string Sql);
