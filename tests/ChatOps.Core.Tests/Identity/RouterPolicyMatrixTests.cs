using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Identity;
using ChatOps.Core.Ports;
using ChatOps.Core.Tests.Approvals;
using static ChatOps.Core.Tests.Approvals.AccessHarness;

namespace ChatOps.Core.Tests.Identity;

/// <summary>
/// Every role × command × target through the real intake and router, and again straight onto
/// commands-topic (as a forged or outdated producer would): the servers a command reaches are
/// exactly those the policy allows, and every other one is rejected as forbidden.
/// </summary>
public sealed class RouterPolicyMatrixTests : IAsyncLifetime
{
    private static readonly Requester[] People = [Vic, Otto, Bob, Root];
    private static readonly string[] Texts = ["run {0} uptime", "restart {0} nginx", "logs {0} nginx"];
    private static readonly string[] Targets = ["web-1", "db-1", "role:web", "*-1"];
    private AccessHarness _h = null!;
    private PolicySnapshot _policy = null!;
    private IReadOnlyList<Server> _servers = [];

    public async Task InitializeAsync()
    {
        _h = await AccessHarness.StartAsync();
        // Operators restart only web servers; viewers read logs only of web servers; approvers run anything on db-1.
        await ReplaceAsync("restart", (Roles.Operator, "role:web"), (Roles.Approver, "*"));
        await ReplaceAsync("logs", (Roles.Viewer, "role:web"), (Roles.Operator, "*"));
        await ReplaceAsync("run", (Roles.Operator, "*"), (Roles.Approver, "db-1"));
        _policy = await _h.AccessPolicy.SnapshotAsync();
        _servers = [new("web-1", null, ["role:web"], DateTimeOffset.UnixEpoch), new("web-2", null, ["role:web"], DateTimeOffset.UnixEpoch), new("db-1", null, ["role:db"], DateTimeOffset.UnixEpoch)];
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Through_the_intake_every_request_reaches_exactly_the_allowed_servers()
    {
        foreach (var person in People)
        foreach (var text in Texts)
        foreach (var target in Targets)
        {
            var line = string.Format(System.Globalization.CultureInfo.InvariantCulture, text, target);
            var reply = await _h.SayAsync(person, line);
            var (definition, selected) = Expect(line, target);
            var user = (await _h.Users.GetUserAsync(person.UserId))!;
            if (!_policy.MayUse(user, definition))
            {
                Assert.True(reply.CommandId is null, $"{person.UserId}: {line} should be refused at the door");
                continue;
            }

            Assert.True(reply.CommandId is not null, $"{person.UserId}: {line} was refused: {reply.Text}");
            await AssertOutcomeAsync(reply.CommandId!, user, definition, selected, $"{person.UserId}: {line}");
        }
    }

    [Fact]
    public async Task Straight_onto_the_topic_the_router_alone_enforces_the_same_policy()
    {
        var parser = new CommandParser(new BuiltInCatalog());
        var n = 0;
        foreach (var person in People)
        foreach (var text in Texts)
        foreach (var target in Targets)
        {
            var line = string.Format(System.Globalization.CultureInfo.InvariantCulture, text, target);
            var parsed = ((ParseSuccess)parser.Parse(line)).Command;
            var id = $"forged{++n}";
            var request = new CommandRequested(id, line, parsed.Definition.Name, parsed.Target!, parsed.Values, parsed.ActionArgs, parsed.Options,
                person, new ChatRef("test", "c1", "forged"), _h.Time.GetUtcNow());
            await _h.Bus.PublishAsync(Topics.Commands, Envelope.Create(EventTypes.CommandRequested, target, request, _h.Time.GetUtcNow()));

            var (definition, selected) = Expect(line, target);
            var user = (await _h.Users.GetUserAsync(person.UserId))!;
            if (!_policy.MayUse(user, definition))
            {
                await _h.Chat.WaitForStateAsync(id, CommandState.Rejected);
                Assert.DoesNotContain(await _h.Commands.ListByRequestAsync(id), c => c.State != CommandState.Rejected);
                continue;
            }

            await AssertOutcomeAsync(id, user, definition, selected, $"{person.UserId}: {line} (forged)");
        }
    }

    private (CommandDefinition Definition, IReadOnlyList<Server> Selected) Expect(string line, string target)
    {
        var definition = new BuiltInCatalog().Find(line.Split(' ')[0])!;
        Assert.True(TargetSelector.TryParse(target, out var selector, out _));
        return (definition, selector.Select(_servers));
    }

    /// <summary>Allowed servers went to dispatch (and failed only for want of an agent); the others were rejected.</summary>
    private async Task AssertOutcomeAsync(string requestId, User user, CommandDefinition definition, IReadOnlyList<Server> selected, string what)
    {
        var allowed = selected.Where(s => _policy.MayRun(user, definition, s)).ToList();
        foreach (var server in selected)
        {
            var id = allowed.Count == 0 ? requestId : selected.Count == 1 ? requestId : $"{requestId}-{server.Id}";
            var expected = allowed.Contains(server) ? CommandState.Failed : CommandState.Rejected;
            await _h.Chat.WaitForStateAsync(id, expected);
            var stored = await _h.Commands.GetAsync(id);
            Assert.True(stored!.State == expected, $"{what} on {server.Id}: {stored.State}, expected {expected} ({stored.Error})");
            if (expected == CommandState.Failed) Assert.Contains("offline", stored.Error);
            if (allowed.Count == 0) break;
        }
    }

    private async Task ReplaceAsync(string command, params (string Role, string Target)[] wanted)
    {
        foreach (var (role, target) in wanted) Assert.True((await _h.Policy.AddRuleAsync("root", role, command, target)).Ok);
        foreach (var rule in (await _h.AccessPolicy.SnapshotAsync()).RulesFor(command).Where(r => !wanted.Contains((r.Role, r.Target))))
            Assert.True((await _h.Policy.DeleteRuleAsync("root", rule.Id)).Ok);
        Assert.Equal(wanted.Order(), (await _h.AccessPolicy.SnapshotAsync()).RulesFor(command).Select(r => (r.Role, r.Target)).Order());
    }
}
