using System.Diagnostics;
using OpenTelemetry;

namespace ChatOps.Server.Tests.Observability;

/// <summary>
/// Collects ended spans and lets a test wait for one (no polling). Used instead of the InMemory exporter's
/// list, which is filled without a lock while the host keeps ending spans (metrics, heartbeats).
/// </summary>
public sealed class TraceSpans : BaseProcessor<Activity>
{
    private readonly List<(Func<Activity, bool> Match, TaskCompletionSource<Activity> Done)> _waiters = [];
    private readonly List<Activity> _ended = [];

    public override void OnEnd(Activity data)
    {
        lock (_waiters)
        {
            _ended.Add(data);
            foreach (var waiter in _waiters.Where(w => w.Match(data)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Done.TrySetResult(data);
            }
        }
    }

    public List<Activity> Snapshot()
    {
        lock (_waiters) return [.. _ended];
    }

    public async Task<Activity> WaitForAsync(Func<Activity, bool> match, string what)
    {
        var done = new TaskCompletionSource<Activity>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            if (_ended.FirstOrDefault(match) is { } seen) return seen;
            _waiters.Add((match, done));
        }

        try
        {
            return await done.Task.WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException)
        {
            lock (_waiters) throw new TimeoutException($"no span: {what}; ended: {string.Join(", ", _ended.Select(a => a.DisplayName))}");
        }
    }
}
