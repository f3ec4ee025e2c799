using Microsoft.Extensions.Logging;

namespace ChatOps.Redis.Tests.Support;

/// <summary>Keeps what was logged, and lets a test wait for an entry.</summary>
public sealed class CapturingLogger<T> : ILogger<T>
{
    private readonly Lock _sync = new();
    private readonly List<(LogLevel Level, string Message, Exception? Exception)> _entries = [];
    private TaskCompletionSource _logged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<(LogLevel Level, string Message, Exception? Exception)> Entries
    {
        get
        {
            lock (_sync)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        TaskCompletionSource logged;
        lock (_sync)
        {
            _entries.Add((logLevel, formatter(state, exception), exception));
            logged = _logged;
            _logged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        logged.SetResult();
    }

    /// <summary>Waits until an entry matching <paramref name="match"/> has been logged.</summary>
    public async Task WaitForAsync(Func<(LogLevel Level, string Message, Exception? Exception), bool> match, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            Task next;
            lock (_sync)
            {
                if (_entries.Any(match))
                {
                    return;
                }

                next = _logged.Task;
            }

            await next.WaitAsync(cancel.Token);
        }
    }
}
