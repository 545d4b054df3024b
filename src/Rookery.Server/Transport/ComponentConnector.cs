using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rookery.Server.Components;
using Rookery.Server.Streams;

namespace Rookery.Server.Transport;

/// <summary>
/// Connect mode (Tigase's <c>connect</c>, XEP-0114 <c>jabber:component:connect</c>): for every address listed in
/// <c>Components:&lt;domain&gt;:Connect</c> this node dials the listening component, runs the handshake as the initiating
/// entity, and serves the connection as one more instance of the domain. A refused or lost connection is dialled again
/// with a doubling delay (0.5 s up to 30 s), reset after each successful handshake.
/// </summary>
public sealed partial class ComponentConnector(ComponentServices services, ILogger<ComponentConnector> logger) : BackgroundService
{
    /// <summary>The first delay after a failed attempt.</summary>
    public static readonly TimeSpan InitialDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest delay between attempts.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var targets = services.Registry.Domains.SelectMany(route => route.ConnectTo.Select(address => (route, address))).ToList();
        if (targets.Count == 0)
        {
            return;
        }

        using var factory = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions(), logger);
        await Task.WhenAll(targets.Select(t => DialLoopAsync(factory, t.route, t.address, stoppingToken))).ConfigureAwait(false);
    }

    private async Task DialLoopAsync(SocketConnectionContextFactory factory, ComponentDomainRoute route, ComponentAddress address, CancellationToken ct)
    {
        var delay = InitialDelay;
        while (!ct.IsCancellationRequested)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(ConnectTimeout);
                await socket.ConnectAsync(address.Host, address.Port, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                if (ct.IsCancellationRequested)
                {
                    return;
                }

                Log.DialFailed(logger, route.Domain, address, e.Message, delay);
                delay = await WaitAsync(delay, ct).ConfigureAwait(false);
                continue;
            }

            Log.Dialled(logger, route.Domain, address);
            var connection = factory.Create(socket);
            var stream = new ComponentStream(connection, services, route);
            await stream.RunAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            if (ct.IsCancellationRequested)
            {
                return;
            }

            if (stream.WasAuthenticated)
            {
                // It served: a drop is news, and the next attempt starts over with the short delay.
                delay = InitialDelay;
            }

            Log.Lost(logger, route.Domain, address, delay);
            delay = await WaitAsync(delay, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Waits <paramref name="delay"/> (ending early on shutdown) and returns the next, doubled delay.</summary>
    private static async Task<TimeSpan> WaitAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: the loop ends.
        }

        return TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1121, Level = LogLevel.Information, Message = "Component {Domain}: connected to its listener at {Address}, handshaking")]
        public static partial void Dialled(ILogger logger, string domain, ComponentAddress address);

        [LoggerMessage(EventId = 1122, Level = LogLevel.Warning, Message = "Component {Domain}: cannot connect to {Address} ({Reason}); retrying in {Delay}")]
        public static partial void DialFailed(ILogger logger, string domain, ComponentAddress address, string reason, TimeSpan delay);

        [LoggerMessage(EventId = 1123, Level = LogLevel.Information, Message = "Component {Domain}: the connection to {Address} ended; dialling again in {Delay}")]
        public static partial void Lost(ILogger logger, string domain, ComponentAddress address, TimeSpan delay);
    }
}
