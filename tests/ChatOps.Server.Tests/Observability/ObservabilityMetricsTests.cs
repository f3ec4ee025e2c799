using System.Diagnostics.Metrics;
using ChatOps.Core.Agents;
using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Observability;
using ChatOps.Core.Ports;
using ChatOps.Server.Tests.Support;

namespace ChatOps.Server.Tests.Observability;

/// <summary>Each series of <c>/metrics</c> appears with the value that was measured.</summary>
public sealed class ObservabilityMetricsTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private ChatOpsApp App => fixture.App;

    [Fact]
    public async Task Chat_api_errors_and_rate_limit_waits_are_exported_by_platform()
    {
        var meter = App.Get<ChatOpsMeter>();
        meter.ChatApiErrors.Add(2, new KeyValuePair<string, object?>("platform", "slack-obs"));
        meter.ChatRateLimitWaits.Record(1.5, new KeyValuePair<string, object?>("platform", "teams-obs"));

        var text = await ScrapeAsync();

        Assert.Contains("chatops_chat_api_errors_total{platform=\"slack-obs\"} 2\n", text);
        Assert.Contains("# TYPE chatops_chat_rate_limit_wait_seconds histogram", text);
        Assert.Contains("chatops_chat_rate_limit_wait_seconds_bucket{platform=\"teams-obs\",le=\"1\"} 0\n", text);
        Assert.Contains("chatops_chat_rate_limit_wait_seconds_bucket{platform=\"teams-obs\",le=\"2.5\"} 1\n", text);
        Assert.Contains("chatops_chat_rate_limit_wait_seconds_sum{platform=\"teams-obs\"} 1.5\n", text);
        Assert.Contains("chatops_chat_rate_limit_wait_seconds_count{platform=\"teams-obs\"} 1\n", text);
    }

    [Fact]
    public async Task Finished_commands_on_the_bus_are_counted_by_status_with_their_run_time()
    {
        // Same key, so the observability group handles them in order: once the second is counted, the first is too.
        using var lastCounted = WaitForMeasurement("chatops_commands_total", "status", ResultStatuses.Cancelled);
        var bus = App.Get<IEventBus>();
        var replyTo = new ChatRef("web", "console", "t-obs");
        var now = DateTimeOffset.UtcNow;
        await bus.PublishAsync(Topics.Commands, Envelope.Create(EventTypes.CommandCompleted, "obs-metrics-1",
            new CommandCompleted("obs-c1", "obs-metrics-1", ResultStatuses.TimedOut, null, 3_000, false, replyTo), now));
        await bus.PublishAsync(Topics.Commands, Envelope.Create(EventTypes.CommandFailed, "obs-metrics-1",
            new CommandFailed("obs-c2", "obs-metrics-1", FailureReasons.Cancelled, "cancelled by a test", replyTo), now));
        await lastCounted.Seen.WaitAsync(TimeSpan.FromSeconds(10));

        var text = await ScrapeAsync();

        Assert.Contains("chatops_commands_total{status=\"timed_out\"} 1\n", text);
        Assert.Contains("chatops_commands_total{reason=\"cancelled\",status=\"cancelled\"} 1\n", text);
        Assert.Contains("chatops_command_duration_seconds_bucket{status=\"timed_out\",le=\"2.5\"} 0\n", text);
        Assert.Contains("chatops_command_duration_seconds_bucket{status=\"timed_out\",le=\"5\"} 1\n", text);
        Assert.Contains("chatops_command_duration_seconds_sum{status=\"timed_out\"} 3\n", text);
    }

    [Fact]
    public async Task A_message_a_consumer_gave_up_on_is_counted_as_a_dead_letter_by_the_topic_it_came_from()
    {
        // The dashboard's "dead letters" panel reads this series; nothing counted it until the buses were given the meter.
        // A topic of its own: a new group starts at the oldest message kept, so it would also fail other tests' messages.
        const string topic = "obs-dead-letter-probe";
        using var counted = WaitForMeasurement("chatops_dead_letters_total", "topic", topic);
        var bus = App.Get<IEventBus>();
        await using var failing = await bus.SubscribeAsync(topic, "obs-dlq-test",
            (_, _) => throw new InvalidOperationException("this consumer always fails"), new ConsumerOptions { MaxAttempts = 1 });
        await bus.PublishAsync(topic, Envelope.Create("probe.sent", "obs-dlq-key", new { line = "unhandled" }, DateTimeOffset.UtcNow));
        await counted.Seen.WaitAsync(TimeSpan.FromSeconds(10));

        var text = await ScrapeAsync();

        Assert.Contains("chatops_dead_letters_total{topic=\"obs-dead-letter-probe\"} 1\n", text);
    }

    [Fact]
    public async Task Consumer_lag_counts_messages_a_group_has_not_finished()
    {
        var bus = App.Get<IEventBus>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstInHand = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var stuck = await bus.SubscribeAsync(Topics.Logs, "obs-lag-test", async (_, ct) =>
        {
            firstInHand.TrySetResult();
            await release.Task.WaitAsync(ct);
        });
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 3; i++)
            await bus.PublishAsync(Topics.Logs, Envelope.Create("log.line", "obs-lag-key", new { line = i }, now));
        await firstInHand.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var text = await ScrapeAsync();
        release.TrySetResult();

        // The message in hand is not finished either: all three are lag.
        Assert.Contains("chatops_bus_consumer_lag{group=\"obs-lag-test\",topic=\"logs-topic\"} 3\n", text);
        Assert.Contains("# TYPE chatops_bus_consumer_lag gauge", text);
    }

    [Fact]
    public async Task Open_alerts_are_exported_by_severity_and_state_and_agents_connected_is_a_gauge()
    {
        var now = DateTimeOffset.UtcNow;
        var alerts = App.Get<IAlertStore>();
        Assert.True(await alerts.TryCreateAsync(Alert("obs-a1", "obs-fp-1", AlertSeverity.Critical, AlertState.Firing, now)));
        Assert.True(await alerts.TryCreateAsync(Alert("obs-a2", "obs-fp-2", AlertSeverity.Critical, AlertState.Firing, now)));
        Assert.True(await alerts.TryCreateAsync(Alert("obs-a3", "obs-fp-3", AlertSeverity.Warning, AlertState.Acknowledged, now)));
        Assert.True(await alerts.TryCreateAsync(Alert("obs-a4", "obs-fp-4", AlertSeverity.Warning, AlertState.Pending, now)));

        var text = await ScrapeAsync();

        Assert.Contains("chatops_alerts_firing{severity=\"critical\",state=\"firing\"} 2\n", text);
        Assert.Contains("chatops_alerts_firing{severity=\"warning\",state=\"acknowledged\"} 1\n", text);
        Assert.DoesNotContain("state=\"pending\"", text);
        Assert.Contains("# TYPE chatops_agents_connected gauge\nchatops_agents_connected 0\n", text);
    }

    [Fact]
    public async Task The_process_reports_its_cpu_time_gc_pauses_collections_jit_and_thread_pool_as_running_totals_not_sums_of_scrapes()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        var first = Value(await ScrapeAsync(), "chatops_process_gc_collections_total{generation=\"2\"}");
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);

        var text = await ScrapeAsync();
        var second = Value(text, "chatops_process_gc_collections_total{generation=\"2\"}");

        // A running total read at each scrape: summing the readings would report more than ever happened.
        Assert.InRange(second, first + 1, GC.CollectionCount(2));
        Assert.Contains("# TYPE chatops_process_gc_collections_total counter\n", text);
        Assert.Contains("# TYPE chatops_process_cpu_seconds_total counter\n", text);
        Assert.InRange(Value(text, "chatops_process_cpu_seconds_total"), 0.001, Environment.CpuUsage.TotalTime.TotalSeconds);
        Assert.InRange(Value(text, "chatops_process_gc_pause_seconds_total"), 0, GC.GetTotalPauseDuration().TotalSeconds);
        Assert.Contains("# TYPE chatops_process_threadpool_queued_items gauge\n", text);
        Assert.True(Value(text, "chatops_process_threadpool_threads") >= 1);
        Assert.True(Value(text, "chatops_process_gc_heap_bytes") > 0);
        Assert.Contains("# TYPE chatops_process_jit_compiled_methods_total counter\n", text);
        Assert.InRange(Value(text, "chatops_process_jit_compiled_methods_total"), 1, System.Runtime.JitInfo.GetCompiledMethodCount());
        Assert.InRange(Value(text, "chatops_process_jit_compilation_seconds_total"), 1e-6, System.Runtime.JitInfo.GetCompilationTime().TotalSeconds);
    }

    [Fact]
    public async Task Each_gc_pause_is_recorded_in_a_histogram_so_a_long_one_stands_out()
    {
        var recorded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ChatOpsMeter.MeterName && instrument.Name == "chatops_process_gc_pause_duration_seconds") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, _, _) =>
        {
            if (seconds >= 0) recorded.TrySetResult();
        });
        listener.Start();
        _ = await ScrapeAsync(); // the host is up, so its recorder listens

        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        await recorded.Task.WaitAsync(TimeSpan.FromSeconds(20));

        var text = await ScrapeAsync();
        Assert.Contains("# TYPE chatops_process_gc_pause_duration_seconds histogram\n", text);
        Assert.True(Value(text, "chatops_process_gc_pause_duration_seconds_count") >= 1);
        Assert.InRange(Value(text, "chatops_process_gc_pause_duration_seconds_sum"), 0, 60);
    }

    [Fact]
    public async Task Every_write_to_the_embedded_store_is_timed_so_a_stalled_disk_shows()
    {
        const string count = "chatops_store_write_duration_seconds_count{backend=\"sqlite\"}";
        var before = await ScrapeAsync();

        await App.Get<IServerStore>().UpsertAsync(new ChatOps.Core.Domain.Server("obs-store-write", null, [], DateTimeOffset.UtcNow));

        var after = await ScrapeAsync();
        Assert.Contains("# TYPE chatops_store_write_duration_seconds histogram\n", after);
        Assert.True(Value(after, count) > (before.Contains(count, StringComparison.Ordinal) ? Value(before, count) : 0));
        Assert.InRange(Value(after, "chatops_store_write_duration_seconds_sum{backend=\"sqlite\"}"), 0, 60);
    }

    private static double Value(string text, string series)
    {
        var line = text.Split('\n').Single(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<string> ScrapeAsync()
    {
        using var anonymous = App.Anonymous();
        using var response = await anonymous.GetAsync("/metrics");
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    private static AlertRecord Alert(string id, string fingerprint, AlertSeverity severity, AlertState state, DateTimeOffset now) => new()
    {
        Id = id,
        Fingerprint = fingerprint,
        RuleName = "obs-rule",
        ServerId = "obs-web-1",
        Condition = AlertCondition.Threshold,
        Severity = severity,
        State = state,
        Value = 95,
        Terms = new AlertTerms("disk_used_percent", AlertComparator.GreaterOrEqual, 90, 85, "disk nearly full", [new AlertRoute("web", "ops")], null, null),
        StartedAt = now,
        FiredAt = state == AlertState.Pending ? null : now,
        UpdatedAt = now,
    };

    private static MeasurementWaiter WaitForMeasurement(string instrument, string tag, string value) => new(instrument, tag, value);

    /// <summary>Completes when the ChatOps meter records <c>instrument</c> with <c>tag=value</c>.</summary>
    private sealed class MeasurementWaiter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly TaskCompletionSource _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public MeasurementWaiter(string instrument, string tag, string value)
        {
            _listener.InstrumentPublished = (i, l) =>
            {
                if (i.Meter.Name == ChatOpsMeter.MeterName && i.Name == instrument) l.EnableMeasurementEvents(i);
            };
            _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
            {
                foreach (var t in tags)
                    if (t.Key == tag && Equals(t.Value, value)) _seen.TrySetResult();
            });
            _listener.Start();
        }

        public Task Seen => _seen.Task;

        public void Dispose() => _listener.Dispose();
    }
}
