using System.Diagnostics;

namespace ChatOps.Benchmarks.Agents;

/// <summary>What a fleet of simulated agents saw: connections, frames sent, heartbeat lateness, losses.</summary>
public sealed class AgentFleet(Uri url, HttpMessageInvoker invoker)
{
    private readonly object _gate = new();
    private readonly List<double> _latenessMs = [];
    private int _connected;
    private int _target = int.MaxValue;
    private TaskCompletionSource _allConnected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Uri Url { get; } = url;
    public HttpMessageInvoker Invoker { get; } = invoker;

    /// <summary>While false, losses are expected (a restart) and lateness is not recorded.</summary>
    public volatile bool Steady;

    public int Connected => Volatile.Read(ref _connected);
    public long Welcomes;
    public long FailedAttempts;
    public long LostWhileSteady;
    public long HeartbeatsSent;
    public long MetricsFramesSent;
    public long MetricSamplesSent;

    /// <summary>Completes when <paramref name="target"/> agents are connected at the same time.</summary>
    public Task WhenConnectedAsync(int target)
    {
        lock (_gate)
        {
            _target = target;
            _allConnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_connected >= target) _allConnected.TrySetResult();
            return _allConnected.Task;
        }
    }

    public void OnWelcomed()
    {
        Interlocked.Increment(ref Welcomes);
        lock (_gate)
        {
            if (++_connected >= _target) _allConnected.TrySetResult();
        }
    }

    public void OnLost()
    {
        lock (_gate) _connected--;
        if (Steady) Interlocked.Increment(ref LostWhileSteady);
    }

    public void OnHeartbeat(long scheduledTimestamp)
    {
        Interlocked.Increment(ref HeartbeatsSent);
        if (!Steady) return;
        var late = Stopwatch.GetElapsedTime(scheduledTimestamp).TotalMilliseconds;
        lock (_latenessMs) _latenessMs.Add(late);
    }

    /// <summary>Lateness of heartbeats sent while steady: when each went out, minus when it was due.</summary>
    public (int Count, double P50, double P99, double Max) Lateness()
    {
        lock (_latenessMs)
        {
            if (_latenessMs.Count == 0) return (0, double.NaN, double.NaN, double.NaN);
            var sorted = _latenessMs.Order().ToList();
            double At(double p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
            return (sorted.Count, At(50), At(99), sorted[^1]);
        }
    }

    public void ResetLateness()
    {
        lock (_latenessMs) _latenessMs.Clear();
    }
}
