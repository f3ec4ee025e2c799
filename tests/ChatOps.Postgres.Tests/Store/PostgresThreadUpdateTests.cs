using ChatOps.Core.Chat.Web;
using ChatOps.Core.Domain;
using ChatOps.Postgres.Tests.Support;

namespace ChatOps.Postgres.Tests.Store;

/// <summary>The web channel's thread update in one transaction (one commit instead of five).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresThreadUpdateTests(PostgresServerFixture server) : IAsyncLifetime
{
    private TestSchema _schema = null!;

    public async Task InitializeAsync() => _schema = await TestSchema.CreateAsync(server);

    public async Task DisposeAsync() => await _schema.DisposeAsync();

    [Fact]
    public async Task A_thread_update_creates_points_appends_and_sets_status_once_even_when_repeated()
    {
        var threads = new PostgresChatThreadStore(_schema.DataSources);
        var at = _schema.Time.GetUtcNow();
        var update = new ThreadUpdate("t1", [new ThreadMessage("ada", "run uptime on web-1", at, "in:r1"), new ThreadMessage("chatops", "Queued as #c1", at, "c1:ack")])
        {
            Create = new ChatThread("t1", "console", "u1", null, at),
            CommandId = "c1",
            Status = "queued",
        };

        await threads.ApplyAsync(update);
        await threads.ApplyAsync(update);

        Assert.Equal("c1", (await threads.GetThreadAsync("t1"))!.CommandId);
        Assert.Equal("queued", await threads.GetStatusAsync("t1"));
        Assert.Equal([(1L, "run uptime on web-1"), (2L, "Queued as #c1")], (await threads.GetMessagesAsync("t1")).Select(m => (m.Seq, m.Text)));
    }

    [Fact]
    public async Task A_thread_update_for_an_unknown_thread_fails_and_writes_nothing()
    {
        var threads = new PostgresChatThreadStore(_schema.DataSources);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => threads.ApplyAsync(
            new ThreadUpdate("missing", [new ThreadMessage("chatops", "hello", _schema.Time.GetUtcNow())]) { Status = "answered" }));

        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
        Assert.Empty(await threads.GetMessagesAsync("missing"));
    }
}
