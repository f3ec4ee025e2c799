using ChatOps.Core.Domain;
using static ChatOps.Conformance.Store.StoreTestData;

namespace ChatOps.Conformance.Store;

public abstract class AuditStoreConformanceTests : StoreConformanceTests
{
    private static AuditEvent Event(string id, int second, string actor = "u-alice", string action = "command.requested", string? target = "web-1", string outcome = "ok") =>
        new(id, At(second), actor, action, target, outcome, $"detail of {id}");

    [Fact]
    public async Task An_appended_event_comes_back_with_every_field()
    {
        var full = new AuditEvent("ev-1", T0, "agent:web-3", "agent.refused", "cmd-9", "denied", "argv \\u202E not allowed");
        var sparse = new AuditEvent("ev-2", At(1), "system", "store.migrated", null, "ok", null);

        await Stores.Audit.AppendAsync(full);
        await Stores.Audit.AppendAsync(sparse);

        Assert.Equal([sparse, full], await Stores.Audit.QueryAsync(new AuditQuery()));
    }

    [Fact]
    public async Task Appending_an_id_twice_keeps_the_first_entry()
    {
        var original = Event("ev-1", 1);

        await Stores.Audit.AppendAsync(original);
        await Stores.Audit.AppendAsync(original with { Outcome = "tampered", Detail = "rewritten" });

        Assert.Equal([original], await Stores.Audit.QueryAsync(new AuditQuery()));
    }

    [Fact]
    public async Task Query_returns_newest_first_up_to_the_limit()
    {
        await Stores.Audit.AppendAsync(Event("ev-b", 2));
        await Stores.Audit.AppendAsync(Event("ev-c", 3));
        await Stores.Audit.AppendAsync(Event("ev-a", 1));

        Assert.Equal(["ev-c", "ev-b", "ev-a"], (await Stores.Audit.QueryAsync(new AuditQuery())).Select(e => e.Id));
        Assert.Equal(["ev-c", "ev-b"], (await Stores.Audit.QueryAsync(new AuditQuery(Limit: 2))).Select(e => e.Id));
    }

    [Fact]
    public async Task Query_filters_by_since_actor_action_and_target()
    {
        await Stores.Audit.AppendAsync(Event("ev-1", 1, actor: "u-alice", action: "command.requested", target: "web-1"));
        await Stores.Audit.AppendAsync(Event("ev-2", 2, actor: "u-bob", action: "command.requested", target: "web-2"));
        await Stores.Audit.AppendAsync(Event("ev-3", 3, actor: "u-alice", action: "apikey.created", target: "u-alice"));
        await Stores.Audit.AppendAsync(Event("ev-4", 4, actor: "system", action: "command.requested", target: null));

        async Task<IEnumerable<string>> Ids(AuditQuery query) => (await Stores.Audit.QueryAsync(query)).Select(e => e.Id);

        Assert.Equal(["ev-4", "ev-3", "ev-2"], await Ids(new AuditQuery(Since: At(2))));
        Assert.Equal(["ev-3", "ev-1"], await Ids(new AuditQuery(Actor: "u-alice")));
        Assert.Equal(["ev-4", "ev-2", "ev-1"], await Ids(new AuditQuery(Action: "command.requested")));
        Assert.Equal(["ev-2"], await Ids(new AuditQuery(Target: "web-2")));
        Assert.Equal(["ev-1"], await Ids(new AuditQuery(Since: At(1), Actor: "u-alice", Action: "command.requested")));
        Assert.Empty(await Ids(new AuditQuery(Actor: "u-nobody")));
    }
}
