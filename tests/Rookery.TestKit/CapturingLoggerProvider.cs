using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Rookery.TestKit;

/// <summary>
/// Keeps every log entry of a test server in memory, so that a test fails when the server logged an error it did not
/// expect (the MQTTnet ThrowIfLogErrors idea) and so that tests can wait for a logged event.
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    /// <summary>Everything logged so far.</summary>
    public IReadOnlyCollection<LogEntry> Entries => _entries;

    /// <summary>Entries at Error or above.</summary>
    public IEnumerable<LogEntry> Errors => _entries.Where(e => e.Level >= LogLevel.Error);

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    /// <summary>One captured entry.</summary>
    public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception);

    private sealed class Logger(string category, ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception));
    }
}
