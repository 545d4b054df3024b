using Microsoft.Extensions.Logging;

namespace Rookery.Hosting;

/// <summary>Console logging of a node (configuration section <c>Logging</c>).</summary>
public sealed class LoggingOptions
{
    /// <summary><c>text</c>: one line per entry (default); <c>json</c>: one JSON object per entry, for log shippers.</summary>
    public string Format { get; init; } = "text";

    /// <summary>
    /// Minimum levels by category prefix, as in .NET's <c>Logging:LogLevel</c>: <c>Default</c> for everything,
    /// <c>Rookery.Server.Streams</c> for client streams. Default: Information, and Warning for <c>Microsoft</c>.
    /// </summary>
    public Dictionary<string, LogLevel> LogLevel { get; init; } = new(StringComparer.OrdinalIgnoreCase);
}
