using System.Net;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Federation.Peers;

/// <summary>
/// Rookery federating with Debian's Prosody (see <see cref="PeerFederation"/>); Prosody's second host
/// <see cref="ProsodyPeer.DirectTlsDomain"/> is published with an <c>_xmpps-server._tcp</c> SRV record only (XEP-0368)
/// and has the account grace.
/// </summary>
public sealed class ProsodyFederation : PeerFederation
{
    /// <summary>Creates the fixture.</summary>
    public ProsodyFederation()
        : base("prosody")
    {
    }

    /// <inheritdoc />
    protected override PeerServer CreatePeer() => new ProsodyPeer("prosody.example");

    /// <inheritdoc />
    protected override void Publish(TestDnsServer dns, PeerServer peer)
    {
        var prosody = (ProsodyPeer)peer;
        dns.AddSrv($"_xmpps-server._tcp.{prosody.DirectTlsDomain}", 0, 0, (ushort)prosody.S2sDirectTlsPort, "localhost");
    }

    /// <inheritdoc />
    protected override Task CreateExtraUsersAsync(PeerServer peer)
    {
        var prosody = (ProsodyPeer)peer;
        return prosody.CreateUserAsync("grace", prosody.DirectTlsDomain, Password);
    }
}
