using System.Runtime.CompilerServices;

// The group-commit tests drive SqliteConnectionFactory.WriteAsync directly to hold a batch open.
[assembly: InternalsVisibleTo("ChatOps.Embedded.Tests")]
