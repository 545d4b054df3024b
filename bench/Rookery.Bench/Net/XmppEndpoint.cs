using System.Net;

namespace Rookery.Bench.Net;

/// <summary>A server address the bench connects to; always a loopback address (see <see cref="LoopbackGuard"/>).</summary>
/// <param name="Address">The IP address.</param>
/// <param name="Port">The TCP port.</param>
internal readonly record struct XmppEndpoint(IPAddress Address, int Port)
{
    /// <summary>The endpoint as a socket address.</summary>
    public IPEndPoint ToIPEndPoint() => new(Address, Port);

    /// <inheritdoc />
    public override string ToString() => ToIPEndPoint().ToString();
}
