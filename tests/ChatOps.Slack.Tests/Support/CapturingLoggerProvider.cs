using Microsoft.Extensions.Logging;

namespace ChatOps.Slack.Tests.Support;

/// <summary>Keeps every log line (warnings and up), so a test can check that a refusal was logged.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public Observed<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) provider.Lines.Add($"{logLevel} {category}: {formatter(state, exception)}");
        }
    }
}
