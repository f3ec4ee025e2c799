using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ChatOps.Postgres.Tests.Support;

/// <summary>
/// A logger factory that keeps the "retrying" warnings of <see cref="PostgresDataSources"/>: the
/// only trace of a failure the store handled by itself, so a test can count retries by cause.
/// Npgsql's own logging (same factory) is dropped.
/// </summary>
internal sealed class RetryLog : ILoggerFactory
{
    private readonly ConcurrentQueue<string> _retries = new();

    public IReadOnlyCollection<string> Retries => _retries;

    public ILogger CreateLogger(string categoryName) =>
        categoryName == typeof(PostgresDataSources).FullName ? new Logger(_retries) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<string> retries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Warning)
            {
                retries.Enqueue(formatter(state, exception));
            }
        }
    }
}
