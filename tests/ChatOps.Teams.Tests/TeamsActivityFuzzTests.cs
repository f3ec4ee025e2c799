using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChatOps.Teams.Tests.Support;
using Xunit.Abstractions;

namespace ChatOps.Teams.Tests;

/// <summary>
/// Fuzzing of <c>/api/messages</c> behind a valid Bot Framework token: random and mutated activities
/// (fields replaced by hostile values of any JSON kind, fields removed, bytes changed) always get a clean
/// answer: a 2xx, a 4xx with a reason, or the deliberate 501 for an invoke nobody handles; never a 500,
/// and nothing is logged as an error. Seeded: a failure names its seed and the body.
/// </summary>
public sealed class TeamsActivityFuzzTests(TeamsHost host, ITestOutputHelper output) : IClassFixture<TeamsHost>
{
    private const int Iterations = 200;

    private static readonly string[] Hostile =
    [
        "", " ", "help", "run uptime on web-1", "restart web-1", "cancel abc", "; rm -rf /", "$(id)", "../../etc/shadow", "\u202Eexe.txt", "\u200B",
        "\uFEFF", "rest\u0430rt web-1", "{{7*7}}", "${7*7}", "@(1+1)", "<script>alert(1)</script>", "<at>ChatOps</at> help", "&nbsp;&lt;b&gt;",
        "\u001B[31m", "a\nb", "a\0b", "\uD800", "message", "invoke", "adaptiveCard/action", "Action.Execute", "Action.Submit", "cancel", "approve",
        TeamsHost.AliceAad, TeamsHost.StrangerAad, TeamsHost.Tenant, "msteams", "skype", "https://evil.example/", new string('x', 5_000),
    ];

    private static readonly string[] Fields =
        ["type", "id", "timestamp", "channelId", "from", "conversation", "recipient", "text", "textFormat", "locale", "replyToId", "name", "value", "channelData", "entities", "attachments"];

    [Fact]
    public async Task Random_and_mutated_activities_with_a_valid_token_never_get_a_500()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var token = "Bearer " + host.ValidToken();
        var conversation = "19:fuzz-" + Guid.NewGuid().ToString("N") + "@thread.tacv2";
        var statuses = new Dictionary<int, int>();
        var errorsBefore = Errors().Count;

        for (var i = 0; i < Iterations; i++)
        {
            var body = Activity(random, conversation, i);
            using var response = await host.PostRawAsync(body, token);
            var answer = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            var context = $"seed {seed}, iteration {i}: {(body.Length > 400 ? body[..400] + "…" : body)}";

            // 401/403: the token does not cover a changed channelId, serviceUrl or tenant (the binding checks).
            Assert.True(status is >= 200 and < 300 or 400 or 401 or 403 or 413 or 415 or 501, $"answered {status} {answer}; {context}");
            Assert.DoesNotContain("   at ", answer);
            if (status is 400 or 401 or 403 or 413) Assert.False(string.IsNullOrWhiteSpace(answer), $"{status} without a reason; {context}");
        }

        output.WriteLine($"seed {seed}: " + string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}×{kv.Value}")));
        var errors = Errors().Skip(errorsBefore).ToList();
        Assert.True(errors.Count == 0, $"seed {seed}: errors were logged:\n{string.Join('\n', errors)}");
    }

    private List<string> Errors() =>
        host.Logs.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal)).ToList();

    private string Activity(Random random, string conversation, int i)
    {
        var activity = host.Message(conversation, $"fuzz-{i}", Pick(random, Hostile), aad: Pick(random, TeamsHost.AliceAad, TeamsHost.VicAad, TeamsHost.StrangerAad, TeamsHost.RootAad));
        if (random.Next(3) == 0)
        {
            activity["type"] = "invoke";
            activity["name"] = Pick(random, "adaptiveCard/action", "task/fetch", "", "x");
        }

        if (random.Next(3) == 0) activity["value"] = CardValue(random);

        // Replace or remove a few fields; serviceUrl stays, or the request ends at the token binding (403).
        for (var n = random.Next(0, 4); n > 0; n--)
        {
            var field = Pick(random, Fields);
            if (random.Next(4) == 0) activity.Remove(field);
            else activity[field] = Node(random, 0);
        }

        var json = activity.ToJsonString();
        return random.Next(6) == 0 ? Mutate(random, json) : json;
    }

    private static JsonNode CardValue(Random random) => random.Next(3) switch
    {
        0 => new JsonObject { ["action"] = new JsonObject { ["type"] = Pick(random, "Action.Execute", "Action.Submit", ""), ["verb"] = Pick(random, Hostile), ["data"] = new JsonObject { ["commandId"] = Node(random, 2) } } },
        1 => new JsonObject { ["verb"] = Pick(random, Hostile), ["commandId"] = Pick(random, Hostile), ["approvalId"] = Node(random, 2) },
        _ => Node(random, 0)!,
    };

    private static JsonNode? Node(Random random, int depth) => (depth > 3 ? random.Next(4) : random.Next(7)) switch
    {
        0 => null,
        1 => JsonValue.Create(Pick(random, Hostile)),
        2 => JsonValue.Create(Pick(random, 0L, -1L, long.MaxValue, 1L << 53)),
        3 => JsonValue.Create(random.Next(2) == 0),
        4 => new JsonArray(Enumerable.Range(0, random.Next(0, 4)).Select(_ => Node(random, depth + 1)).ToArray()),
        _ => new JsonObject(Enumerable.Range(0, random.Next(0, 5))
            .Select(_ => Pick(random, "id", "name", "aadObjectId", "tenantId", "conversationType", "isGroup", "tenant", "type", "verb", "data", "commandId", "text", "action"))
            .Distinct()
            .Select(key => KeyValuePair.Create(key, Node(random, depth + 1)))),
    };

    private static string Mutate(Random random, string json)
    {
        var text = new StringBuilder(json);
        for (var n = random.Next(1, 4); n > 0 && text.Length > 0; n--)
        {
            var at = random.Next(text.Length);
            var c = Pick(random, '"', '{', '}', '[', ']', ',', ':', '\\', 'n', '0', ' ', '\u00e9');
            switch (random.Next(3))
            {
                case 0: text[at] = c; break;
                case 1: text.Insert(at, c); break;
                default: text.Remove(at, 1); break;
            }
        }

        return text.ToString();
    }

    private static T Pick<T>(Random random, params T[] choices) => choices[random.Next(choices.Length)];
}
