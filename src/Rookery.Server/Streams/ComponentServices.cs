using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Server.Components;
using Rookery.Server.Hosts;
using Rookery.Server.Routing;
using Rookery.Server.Transport;

namespace Rookery.Server.Streams;

/// <summary>The collaborators every component stream needs, resolved once and shared by all connections.</summary>
public sealed class ComponentServices(
    Router router,
    ComponentRegistry registry,
    ComponentConnections connections,
    IOptions<ServerOptions> options,
    TimeProvider time,
    ILoggerFactory loggers)
{
    /// <summary>The stanza router.</summary>
    public Router Router => router;

    /// <summary>Component domains and their instances.</summary>
    public ComponentRegistry Registry => registry;

    /// <summary>Open component connections.</summary>
    public ComponentConnections Connections => connections;

    /// <summary>Server options (stream limits).</summary>
    public ServerOptions Options => options.Value;

    /// <summary>The clock.</summary>
    public TimeProvider Time => time;

    /// <summary>The logger for component streams.</summary>
    public ILogger Logger { get; } = loggers.CreateLogger("Rookery.Server.Streams.ComponentStream");
}
