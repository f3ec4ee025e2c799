using System.Collections.Concurrent;
using System.Diagnostics;
using ChatOps.Core.Ports;

namespace ChatOps.Redis.Tests.Failover;

/// <summary>
/// Many routers contending for the locks of a few targets, as in test 18: each worker loops "acquire the
/// target's lock, dispatch to its agent (which checks the fencing token and times the run), release".
/// Records every grant and every "Redis unavailable", so a test can see what happened around a failover.
/// </summary>
internal sealed class LockLoad
{
    private readonly IReadOnlyList<ICommandLock> _routers;
    private readonly TimeSpan _ttl;
    private readonly int _workersPerTarget;
    private readonly ConcurrentQueue<Grant> _grants = new();
    private readonly ConcurrentQueue<string> _failures = new();
    private int _unavailable;
    private int _executed;

    public LockLoad(IReadOnlyList<ICommandLock> routers, int targets, int workersPerTarget, TimeSpan ttl)
    {
        _routers = routers;
        _ttl = ttl;
        _workersPerTarget = workersPerTarget;
        Agents = [.. Enumerable.Range(0, targets).Select(i => new AgentFence($"web-{i}"))];
    }

    public IReadOnlyList<AgentFence> Agents { get; }

    public int Unavailable => Volatile.Read(ref _unavailable);

    public int Executed => Volatile.Read(ref _executed);

    public IReadOnlyList<Grant> Grants => [.. _grants];

    /// <summary>Unexpected errors (anything but "Redis unavailable"), which fail the test.</summary>
    public IReadOnlyList<string> Failures => [.. _failures];

    /// <summary>Runs the workers until <paramref name="stop"/> is cancelled.</summary>
    public Task RunAsync(CancellationToken stop) => Task.WhenAll(
        from agent in Agents
        from worker in Enumerable.Range(0, _workersPerTarget)
        select Task.Run(() => WorkAsync(agent, worker, stop)));

    /// <summary>Waits until <paramref name="count"/> more commands have run than now.</summary>
    public async Task WaitForExecutionsAsync(int count, TimeSpan patience)
    {
        var target = Executed + count;
        var waited = Stopwatch.StartNew();
        while (Executed < target)
        {
            if (waited.Elapsed > patience)
            {
                throw new TimeoutException($"only {Executed} of {target} commands ran within {patience} ({Unavailable} 'Redis unavailable'; failures: {string.Join("; ", Failures.Take(3))})");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>
    /// Waits until every target's lock was granted again after <paramref name="since"/> (a timestamp), and
    /// returns how long after it the last target got its first grant.
    /// </summary>
    public async Task<TimeSpan> WaitForEveryTargetGrantedAfterAsync(long since, TimeSpan patience)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var first = Agents.Select(a => Grants.Where(g => g.Target == a.Target && g.At > since).Select(g => (long?)g.At).Min()).ToList();
            if (first.All(at => at is not null))
            {
                return TimeProvider.System.GetElapsedTime(since, first.Max()!.Value);
            }

            if (waited.Elapsed > patience)
            {
                var missing = Agents.Where((_, i) => first[i] is null).Select(a => a.Target);
                throw new TimeoutException($"no lock granted on {string.Join(", ", missing)} within {patience} of the failover ({Unavailable} 'Redis unavailable'; failures: {string.Join("; ", Failures.Take(3))})");
            }

            await Task.Delay(10);
        }
    }

    private async Task WorkAsync(AgentFence agent, int worker, CancellationToken stop)
    {
        var router = _routers[worker % _routers.Count];
        var random = new Random(HashCode.Combine(agent.Target, worker));
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var owner = $"cmd-{agent.Target}-{worker}-{n}";
            try
            {
                var lease = await router.TryAcquireAsync(agent.Target, owner, "load", _ttl, CancellationToken.None);
                if (lease is null)
                {
                    await Task.Delay(random.Next(1, 5), CancellationToken.None);
                    continue;
                }

                _grants.Enqueue(new Grant(agent.Target, owner, lease.FencingToken, TimeProvider.System.GetTimestamp()));

                // The run is bounded well inside the lease, as the router's timeout keeps a command inside its lock.
                if (await agent.RunAsync(owner, lease.FencingToken, TimeSpan.FromMilliseconds(random.Next(2, 30)), CancellationToken.None))
                {
                    Interlocked.Increment(ref _executed);
                }

                await router.ReleaseAsync(lease, CancellationToken.None);
            }
            catch (StateUnavailableException)
            {
                // The router's answer in chat is "try again"; the load retries a moment later.
                Interlocked.Increment(ref _unavailable);
                await Task.Delay(random.Next(5, 20), CancellationToken.None);
            }
            catch (Exception ex)
            {
                _failures.Enqueue($"{owner}: {ex.GetType().Name}: {ex.Message}");
                await Task.Delay(20, CancellationToken.None);
            }
        }
    }

    /// <summary>A lock granted to <paramref name="Owner"/>, at a <see cref="TimeProvider.GetTimestamp"/>.</summary>
    public sealed record Grant(string Target, string Owner, long Token, long At);
}
