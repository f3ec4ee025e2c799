using ChatOps.Embedded.Sqlite;
using Dapper;

namespace ChatOps.Embedded.Tests.Store;

/// <summary>
/// Reads on the routing path must not grow with history. SQLite's plan is the honest witness: a
/// timing test would be noise on a shared machine, a plan that walks a server's history is not.
/// </summary>
public sealed class SqliteQueryPlanTests : IAsyncLifetime
{
    private SqliteTestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await SqliteTestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Theory]
    [InlineData("queued")]
    [InlineData("queued,dispatched,running")]
    public async Task Active_commands_of_one_server_are_found_by_seeking_server_and_state_not_by_walking_its_history(string states)
    {
        var stateTexts = states.Split(',');
        var plan = await PlanAsync(SqliteCommandStore.ByStateSql("web-3"), new { stateTexts, serverId = "web-3", limit = 1 });

        Assert.Contains("ix_commands_server_state_created_at (server_id=? AND state=?)", plan);
        Assert.DoesNotContain("ix_commands_server_created_at", plan);
    }

    [Fact]
    public async Task Active_commands_of_every_server_are_found_by_state()
    {
        var plan = await PlanAsync(SqliteCommandStore.ByStateSql(null), new { stateTexts = new[] { "queued", "running" }, limit = 100 });

        Assert.Contains("ix_commands_state_created_at (state=?)", plan);
    }

    private async Task<string> PlanAsync(string sql, object parameters)
    {
        await using var connection = await _database.Connections.OpenAsync();
        var rows = await connection.QueryAsync<(long Id, long Parent, long NotUsed, string Detail)>("EXPLAIN QUERY PLAN " + sql, parameters);
        return string.Join("\n", rows.Select(r => r.Detail));
    }
}
