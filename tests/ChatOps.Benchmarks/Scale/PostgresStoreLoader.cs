using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.Loader;

namespace ChatOps.Benchmarks.Scale;

/// <summary>
/// Registers the PostgreSQL store (<c>AddPostgresStore</c>) from the server's build output. This project
/// does not reference ChatOps.Postgres (and may not change its project file), so the assembly and its
/// dependencies (Npgsql, Quartz) are loaded from the folder of the chatops binary built beside it.
/// </summary>
internal static class PostgresStoreLoader
{
    public static void AddPostgresStore(IServiceCollection services, string connectionString)
    {
        var folder = Path.GetDirectoryName(BenchServer.Binary("ChatOps.Server", "chatops.dll"))!;
        AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            var candidate = Path.Combine(folder, name.Name + ".dll");
            return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
        };

        var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.Combine(folder, "ChatOps.Postgres.dll"));
        var optionsType = assembly.GetType("ChatOps.Postgres.PostgresStoreOptions", throwOnError: true)!;
        var extensions = assembly.GetType("ChatOps.Postgres.PostgresStoreExtensions", throwOnError: true)!;
        var add = extensions.GetMethod("AddPostgresStore", BindingFlags.Public | BindingFlags.Static, [typeof(IServiceCollection), typeof(Action<>).MakeGenericType(optionsType)])
            ?? throw new MissingMethodException("PostgresStoreExtensions.AddPostgresStore");

        // o => o.ConnectionString = connectionString
        var options = Expression.Parameter(optionsType, "o");
        var configure = Expression.Lambda(typeof(Action<>).MakeGenericType(optionsType),
            Expression.Assign(Expression.Property(options, "ConnectionString"), Expression.Constant(connectionString)), options).Compile();
        add.Invoke(null, [services, configure]);
    }
}
