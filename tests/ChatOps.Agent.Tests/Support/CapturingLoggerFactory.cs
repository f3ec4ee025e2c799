using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace ChatOps.Agent.Tests.Support;

/// <summary>Collects formatted log lines so tests can assert what an operator would read.</summary>
public sealed class CapturingLoggerFactory(ITestOutputHelper? output = null) : ILoggerFactory, ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(_lines, output);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<string> lines, ITestOutputHelper? output) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{logLevel}: {formatter(state, exception)}";
            lines.Enqueue(line);
            try
            {
                output?.WriteLine(line);
            }
            catch (InvalidOperationException)
            {
                // The test already finished; xUnit no longer takes its output.
            }
        }
    }
}
