using System.Diagnostics.Metrics;

namespace ChatOps.Core.Observability;

/// <summary>
/// The instruments ChatOps reports, on the <c>ChatOps</c> meter (System.Diagnostics.Metrics); the host
/// exports them at <c>/metrics</c> in Prometheus' text format. Names follow Prometheus conventions.
/// </summary>
public sealed class ChatOpsMeter : IDisposable
{
    public const string MeterName = "ChatOps";

    private readonly Meter _meter = new(MeterName);

    public ChatOpsMeter()
    {
        CommandsFinished = _meter.CreateCounter<long>("chatops_commands_total", description: "Commands that reached an end, by status");
        CommandDuration = _meter.CreateHistogram<double>("chatops_command_duration_seconds", "s", "Run time of commands on agents");
        ChatRequests = _meter.CreateCounter<long>("chatops_chat_requests_total", description: "Chat messages received, by platform and outcome");
        RateLimited = _meter.CreateCounter<long>("chatops_rate_limited_total", description: "Requests refused by a rate limit, by endpoint");
        ChatApiErrors = _meter.CreateCounter<long>("chatops_chat_api_errors_total", description: "Failed calls to chat platforms' APIs, by platform");
        DeadLetters = _meter.CreateCounter<long>("chatops_dead_letters_total", description: "Bus messages parked on a dead-letter topic, by the topic they came from");
        OffsetResets = _meter.CreateCounter<long>("chatops_bus_offset_resets_total",
            description: "Times a Kafka consumer's position was gone from the broker and it jumped to what was left, skipping records it had not read, by topic");
        ChatRateLimitWaits = _meter.CreateHistogram<double>("chatops_chat_rate_limit_wait_seconds", "s", "Time spent waiting on chat platforms' rate limits (Retry-After), by platform");
        GcPauses = _meter.CreateHistogram<double>("chatops_process_gc_pause_duration_seconds", "s", "Each time the garbage collector paused the process, by length");
        StoreWrites = _meter.CreateHistogram<double>("chatops_store_write_duration_seconds", "s", "One batch of writes to the embedded store, BEGIN to COMMIT, by backend");
        ObserveRuntime();
    }

    // The process itself, so a latency spike can be told apart from a GC pause, a starved thread pool or a
    // busy CPU without attaching a profiler (all cheap reads at scrape time).
    private void ObserveRuntime()
    {
        _meter.CreateObservableCounter("chatops_process_cpu_seconds_total", () => Environment.CpuUsage.TotalTime.TotalSeconds,
            description: "CPU time this process has used, user and kernel");
        _meter.CreateObservableCounter("chatops_process_gc_pause_seconds_total", () => GC.GetTotalPauseDuration().TotalSeconds,
            description: "Time the garbage collector has paused the process");
        _meter.CreateObservableCounter("chatops_process_gc_collections_total", () => new[]
            {
                new Measurement<long>(GC.CollectionCount(0), new KeyValuePair<string, object?>("generation", "0")),
                new Measurement<long>(GC.CollectionCount(1), new KeyValuePair<string, object?>("generation", "1")),
                new Measurement<long>(GC.CollectionCount(2), new KeyValuePair<string, object?>("generation", "2")),
            },
            description: "Garbage collections, by generation (a generation 2 collection counts in 0 and 1 too)");
        _meter.CreateObservableGauge("chatops_process_gc_heap_bytes", () => GC.GetGCMemoryInfo().HeapSizeBytes,
            description: "Size of the managed heap after the last collection");
        // Compiling is CPU the requests do not get: high after a start or deploy, near zero once the hot code is optimised.
        _meter.CreateObservableCounter("chatops_process_jit_compilation_seconds_total", () => System.Runtime.JitInfo.GetCompilationTime().TotalSeconds,
            description: "Time the JIT has spent compiling methods in this process");
        _meter.CreateObservableCounter("chatops_process_jit_compiled_methods_total", () => System.Runtime.JitInfo.GetCompiledMethodCount(),
            description: "Methods the JIT has compiled (tiering recompiles hot ones, so this keeps rising for a while after a start)");
        _meter.CreateObservableGauge("chatops_process_threadpool_threads", () => (long)ThreadPool.ThreadCount,
            description: "Thread-pool threads");
        _meter.CreateObservableGauge("chatops_process_threadpool_queued_items", () => ThreadPool.PendingWorkItemCount,
            description: "Work items waiting for a thread-pool thread (growing: the pool is starved)");
    }

    /// <summary>This instance's meter: an exporter listens to it, not to every meter named ChatOps in the process.</summary>
    public Meter Meter => _meter;

    public Counter<long> CommandsFinished { get; }
    public Histogram<double> CommandDuration { get; }
    public Counter<long> ChatRequests { get; }
    public Counter<long> RateLimited { get; }
    public Counter<long> ChatApiErrors { get; }
    /// <summary>Messages a bus parked on <c>{topic}.dlq</c> after their last failed attempt, tagged <c>topic</c> (where they came from).</summary>
    public Counter<long> DeadLetters { get; }

    /// <summary>Kafka consumers moved past records they never read (retention outran their lag), tagged <c>topic</c>.</summary>
    public Counter<long> OffsetResets { get; }

    /// <summary>Waits imposed by a chat platform (HTTP 429 Retry-After, or our own pacing), tagged <c>platform</c>.</summary>
    public Histogram<double> ChatRateLimitWaits { get; }

    /// <summary>One garbage-collector pause of this process (the host records them from the runtime's events).</summary>
    public Histogram<double> GcPauses { get; }

    /// <summary>
    /// One write transaction of the embedded store. Every write waits for the batch ahead of it, so a slow
    /// commit (the disk busy with a checkpoint's fsync) shows here before it shows as request latency.
    /// </summary>
    public Histogram<double> StoreWrites { get; }

    /// <summary>Registers a gauge read at scrape time (e.g. agents connected to this node).</summary>
    public void ObserveGauge(string name, string description, Func<long> read) =>
        _meter.CreateObservableGauge(name, read, description: description);

    /// <summary>Registers a gauge with one value per label set, read at scrape time (e.g. consumer lag by topic and group).</summary>
    public void ObserveGauges(string name, string description, Func<IEnumerable<Measurement<long>>> read) =>
        _meter.CreateObservableGauge(name, read, description: description);

    public void Dispose() => _meter.Dispose();
}
