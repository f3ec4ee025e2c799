using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace ChatOps.Kafka.Tests.Support;

/// <summary>Keeps every log entry (and echoes it to the test output when given one, with elapsed time).</summary>
public sealed class CapturingLogger<T>(ITestOutputHelper? output = null) : ILogger<T>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    /// <summary>Called with every message as it is logged (e.g. to complete a TaskCompletionSource on it).</summary>
    public Action<string>? OnMessage { get; set; }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var message = formatter(state, exception);
        Entries.Enqueue((logLevel, message));
        OnMessage?.Invoke(message);
        try
        {
            output?.WriteLine($"{_clock.Elapsed.TotalMilliseconds,8:0} {logLevel,-11} {message}");
        }
        catch (InvalidOperationException)
        {
            // The test has ended; a late librdkafka line has nowhere to go.
        }
    }
}
