using System.Collections.Concurrent;
using ChatOps.Agent.Allowlist;
using ChatOps.Agent.Execution;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChatOps.Agent.Tests.Support;

/// <summary>Runs a command through the real ActionRunner and keeps what it streamed.</summary>
internal sealed class Runs
{
    private readonly ConcurrentQueue<OutputChunk> _chunks = new();

    public Runs(ActionRunnerOptions? options = null, TimeProvider? time = null)
    {
        Runner = new ActionRunner(options ?? new ActionRunnerOptions(), time ?? TimeProvider.System, NullLogger.Instance);
    }

    public ActionRunner Runner { get; }

    public IReadOnlyList<OutputChunk> Chunks => [.. _chunks];

    /// <summary>Completes with the first chunk that satisfies the predicate.</summary>
    public Func<OutputChunk, bool>? Watch { get; set; }

    public TaskCompletionSource<OutputChunk> Watched { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Text(string stream) => string.Concat(Chunks.Where(c => c.Stream == stream).Select(c => c.Text));

    public Task<RunOutcome> RunAsync(BoundCommand command, TimeSpan? timeout = null, CancellationToken cancel = default, Action<int>? started = null) =>
        Runner.RunAsync(
            command,
            timeout ?? TimeSpan.FromSeconds(30),
            chunk =>
            {
                _chunks.Enqueue(chunk);
                if (Watch?.Invoke(chunk) == true)
                {
                    Watched.TrySetResult(chunk);
                }

                return ValueTask.CompletedTask;
            },
            cancel,
            started);
}
