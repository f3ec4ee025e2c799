using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace ChatOps.Server.Tests.Observability;

/// <summary>
/// One trace from the chat request to the agent's result and back: the chat intake continues the caller's
/// traceparent, the bus carries it to the router, the router's dispatch to the gateway, the dispatch frame
/// to the (real, in-process) local agent, and the result frame back to the gateway and the bus.
/// </summary>
public sealed class TraceFlowTests : IAsyncLifetime
{
    private const string CallerTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string CallerSpanId = "00f067aa0ba902b7";

    private readonly TraceSpans _spans = new();
    private readonly string _allowlist = Path.Combine(Directory.CreateTempSubdirectory("chatops-trace-").FullName, "allowlist.json");
    private ChatOpsApp _app = null!;
    private Uri _base = null!;

    public Task InitializeAsync()
    {
        File.WriteAllText(_allowlist, """{ "actions": { "hello": { "description": "says hello", "argv": ["echo", "hello"], "timeoutSeconds": 10 } } }""");
        _app = new ChatOpsApp(
            new Dictionary<string, string?> { ["ChatOps:LocalAgent:Enabled"] = "true", ["ChatOps:LocalAgent:Allowlist"] = _allowlist },
            services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(_spans)));
        _base = _app.StartOnKestrel();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_chat_command_its_dispatch_the_agent_run_and_the_result_share_one_trace_with_parent_links()
    {
        await WaitForLocalAgentAsync();
        var watcher = await BusWatcher.StartAsync(_app.Get<IEventBus>());
        using var admin = new HttpClient { BaseAddress = _base };
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ChatOpsApp.AdminKey);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat/messages") { Content = JsonContent.Create(new { text = "run hello on local" }) };
        request.Headers.Add("traceparent", $"00-{CallerTraceId}-{CallerSpanId}-01");
        using var response = await admin.SendAsync(request);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var commandId = body.GetProperty("commandId").GetString();
        Assert.False(string.IsNullOrEmpty(commandId), body.ToString());

        var completed = await watcher.WaitForEndAsync(commandId!);
        Assert.Equal(EventTypes.CommandCompleted, completed.Type);
        Assert.Equal(CallerTraceId, ActivityContext.Parse(completed.TraceParent!, null).TraceId.ToHexString());

        // The router's handling of the result is the last hop of the round trip. (Spans of other hosts in
        // this test process reach this listener too: the ActivitySource is process-wide; the trace id tells ours.)
        var routerOnResult = await _spans.WaitForAsync(
            a => a.TraceId.ToHexString() == CallerTraceId && a.DisplayName == "commands-topic process" && Tag(a, "messaging.consumer.group.name") == "router" && Tag(a, "chatops.event_type") == EventTypes.CommandCompleted,
            "router handling command.completed");

        // The gateway's span of the result ends after its publish returned, possibly after the router handled it.
        await _spans.WaitForAsync(a => a.TraceId.ToHexString() == CallerTraceId && a.DisplayName == "agent result", "the gateway's result span");
        await _spans.WaitForAsync(a => a.TraceId.ToHexString() == CallerTraceId && a.DisplayName == "agent execute", "the agent's run span");

        var spans = _spans.Snapshot().Where(a => a.TraceId.ToHexString() == CallerTraceId).ToList();
        var chat = Single(spans, a => a.DisplayName == "chat /api/chat/messages");
        Assert.Equal(CallerSpanId, chat.ParentSpanId.ToHexString());
        var requested = Single(spans, a => a.DisplayName == "commands-topic publish" && Tag(a, "chatops.event_type") == EventTypes.CommandRequested);
        AssertChild(chat, requested);
        var routed = Single(spans, a => a.DisplayName == "commands-topic process" && Tag(a, "messaging.consumer.group.name") == "router" && Tag(a, "chatops.event_type") == EventTypes.CommandRequested);
        AssertChild(requested, routed);
        var dispatch = Single(spans, a => a.DisplayName == "agent dispatch");
        AssertChild(routed, dispatch);
        var admit = Single(spans, a => a.DisplayName == "agent admit");
        AssertChild(dispatch, admit);
        var execute = Single(spans, a => a.DisplayName == "agent execute");
        AssertChild(admit, execute);
        Assert.Equal("succeeded", Tag(execute, "chatops.status"));
        var report = Single(spans, a => a.DisplayName == "agent report result");
        AssertChild(execute, report);
        var result = Single(spans, a => a.DisplayName == "agent result");
        AssertChild(report, result);
        var completedPublish = Single(spans, a => a.DisplayName == "commands-topic publish" && Tag(a, "chatops.event_type") == EventTypes.CommandCompleted);
        AssertChild(result, completedPublish);
        AssertChild(completedPublish, routerOnResult);
        Assert.All(new[] { dispatch, admit, execute, result }, a => Assert.Equal(commandId, Tag(a, "chatops.command_id")));

        using var anonymous = new HttpClient { BaseAddress = _base };
        var metrics = await anonymous.GetStringAsync("/metrics");
        Assert.Contains("chatops_agents_connected 1\n", metrics);
    }

    private async Task WaitForLocalAgentAsync()
    {
        var registry = _app.Get<IAgentRegistry>();
        await using var watcher = await BusWatcher.StartAsync(_app.Get<IEventBus>(), Topics.Events);
        if ((await registry.ListAsync()).Any(a => a.ServerId == "local")) return;
        await watcher.WaitForAsync(e => e.Type == EventTypes.AgentConnected && e.Key == "local", "the local agent connected");
    }

    private static string? Tag(Activity activity, string name) => activity.GetTagItem(name)?.ToString();

    private static Activity Single(List<Activity> spans, Func<Activity, bool> match)
    {
        var found = spans.Where(match).ToList();
        Assert.True(found.Count == 1, $"expected one matching span, found {found.Count} among: {string.Join(", ", spans.Select(s => s.DisplayName))}");
        return found[0];
    }

    private static void AssertChild(Activity parent, Activity child)
    {
        Assert.Equal(parent.TraceId, child.TraceId);
        Assert.True(parent.SpanId == child.ParentSpanId, $"'{child.DisplayName}' should be a child of '{parent.DisplayName}' ({parent.SpanId}) but its parent is {child.ParentSpanId}");
    }
}
