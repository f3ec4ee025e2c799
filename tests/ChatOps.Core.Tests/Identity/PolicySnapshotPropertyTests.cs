using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using ChatOps.Core.Identity;
using ChatOps.Core.Ports;
using CsCheck;

namespace ChatOps.Core.Tests.Identity;

/// <summary>
/// The authorisation matrix, property-based: for random rule sets, users and servers, every decision
/// of <see cref="PolicySnapshot"/> equals a reference model written independently here.
/// </summary>
public class PolicySnapshotPropertyTests
{
    private static readonly BuiltInCatalog Catalog = new();
    private static readonly string[] Commands = ["run", "restart", "logs", "cancel", "approve"];
    private static readonly string[] Targets = ["*", "web-1", "db-1", "web-*", "*-1", "role:web", "role:db", "env:prod", "nope-9"];

    private static readonly Server[] Servers =
    [
        new("web-1", null, ["role:web", "env:prod"], DateTimeOffset.UnixEpoch),
        new("web-2", null, ["role:web"], DateTimeOffset.UnixEpoch),
        new("db-1", null, ["role:db", "env:prod"], DateTimeOffset.UnixEpoch),
        new("cache-7", null, [], DateTimeOffset.UnixEpoch),
    ];

    private static readonly Gen<PermissionRule> Rule =
        Gen.Select(Gen.OneOf(Roles.All.ToArray()), Gen.OneOf(Commands), Gen.OneOf(Targets))
            .Select(t => new PermissionRule("r-" + t.Item1 + t.Item2 + t.Item3, t.Item1, t.Item2, t.Item3, DateTimeOffset.UnixEpoch, "test"));

    private static readonly Gen<PolicyData> Data =
        Gen.Select(Rule.Array[0, 12], Gen.OneOf(Commands).Array[0, 5]).Select(t =>
            new PolicyData(t.Item1.DistinctBy(r => r.Id).ToList(), t.Item2.Distinct().Select(c => new CommandPolicy(c, null, true, DateTimeOffset.UnixEpoch)).ToList()));

    private static readonly Gen<User> AnyUser =
        Gen.OneOf(Roles.All.ToArray()).Array[0, 3].Select(roles => new User("u", "U", roles.Distinct().ToList(), DateTimeOffset.UnixEpoch));

    [Fact]
    public void Every_decision_matches_the_reference_model()
    {
        Gen.Select(Data, AnyUser, Gen.OneOf(Commands), Gen.OneOf(Servers)).Sample((data, user, command, server) =>
        {
            var snapshot = new PolicySnapshot(Catalog, data);
            var definition = Catalog.Find(command)!;

            Assert.Equal(ModelMayRun(data, user, definition, server), snapshot.MayRun(user, definition, server));
            Assert.Equal(ModelHasAnyRule(data, user, definition), snapshot.MayUse(user, definition));
        }, iter: 20_000);
    }

    [Fact]
    public void Running_somewhere_implies_being_allowed_to_use_the_command()
    {
        Gen.Select(Data, AnyUser, Gen.OneOf(Commands), Gen.OneOf(Servers)).Sample((data, user, command, server) =>
        {
            var snapshot = new PolicySnapshot(Catalog, data);
            var definition = Catalog.Find(command)!;
            if (snapshot.MayRun(user, definition, server)) Assert.True(snapshot.MayUse(user, definition));
        }, iter: 5_000);
    }

    [Fact]
    public void Without_stored_rules_the_catalog_roles_apply_everywhere()
    {
        var snapshot = new PolicySnapshot(Catalog, PolicyData.Empty);
        foreach (var definition in Catalog.All)
        foreach (var role in Roles.All)
        foreach (var server in Servers)
        {
            var user = new User("u", "U", [role], DateTimeOffset.UnixEpoch);
            var expected = role == Roles.Admin || definition.AllowedRoles.Contains(role);
            Assert.Equal(expected, snapshot.MayRun(user, definition, server));
        }
    }

    [Fact]
    public void A_command_edited_down_to_no_rules_is_for_admins_only()
    {
        var data = new PolicyData([], [new CommandPolicy("logs", null, true, DateTimeOffset.UnixEpoch)]);
        var snapshot = new PolicySnapshot(Catalog, data);
        var logs = Catalog.Find("logs")!;

        Assert.False(snapshot.MayUse(new User("v", "V", [Roles.Viewer, Roles.Operator, Roles.Approver], DateTimeOffset.UnixEpoch), logs));
        Assert.True(snapshot.MayUse(new User("a", "A", [Roles.Admin], DateTimeOffset.UnixEpoch), logs));
        Assert.Equal([Roles.Admin], snapshot.RolesFor(logs));
    }

    [Fact]
    public void A_rule_whose_target_does_not_parse_matches_nothing()
    {
        var data = new PolicyData([new PermissionRule("r1", Roles.Operator, "restart", "ROLE :web!", DateTimeOffset.UnixEpoch, "x")], [new CommandPolicy("restart", null, true, DateTimeOffset.UnixEpoch)]);
        var snapshot = new PolicySnapshot(Catalog, data);
        var user = new User("o", "O", [Roles.Operator], DateTimeOffset.UnixEpoch);

        Assert.All(Servers, server => Assert.False(snapshot.MayRun(user, Catalog.Find("restart")!, server)));
    }

    // The model: admins always; otherwise the command's rules are the stored ones when the command is
    // marked custom, else one rule per catalog role on "*"; a rule applies when the user holds its role
    // and its target is "*", equals the server id, glob-matches it, or names one of its tags.
    private static bool ModelMayRun(PolicyData data, User user, CommandDefinition definition, Server server) =>
        user.Roles.Contains(Roles.Admin) || ModelRules(data, definition).Any(r => user.Roles.Contains(r.Role) && ModelMatches(r.Target, server));

    private static bool ModelHasAnyRule(PolicyData data, User user, CommandDefinition definition) =>
        user.Roles.Contains(Roles.Admin) || ModelRules(data, definition).Any(r => user.Roles.Contains(r.Role));

    private static IEnumerable<(string Role, string Target)> ModelRules(PolicyData data, CommandDefinition definition) =>
        data.Commands.Any(c => c.Command == definition.Name && c.CustomRules)
            ? data.Rules.Where(r => r.Command == definition.Name).Select(r => (r.Role, r.Target))
            : definition.AllowedRoles.Select(role => (role, "*"));

    private static bool ModelMatches(string target, Server server) => target switch
    {
        "*" => true,
        "web-*" => server.Id.StartsWith("web-", StringComparison.Ordinal),
        "*-1" => server.Id.EndsWith("-1", StringComparison.Ordinal),
        _ when target.Contains(':') => server.Tags.Contains(target),
        _ => server.Id == target,
    };
}
