using System.Net;
using Rookery.Server.Routing;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Federation.Peers;

/// <summary>
/// One Rookery server and one real peer server federating on loopback, started once per test class: each finds the
/// other only through the SRV and A records of the test's DNS responder, on ports other than 5269. Rookery users
/// alice, bob, dave; peer users carol, erin, frank (password "secret").
/// </summary>
public abstract class PeerFederation : IAsyncLifetime
{
    /// <summary>Rookery's domain (not under .test: libunbound answers RFC 6761 .test names itself).</summary>
    public const string RookeryDomain = "rookery.example";

    /// <summary>Every account's password.</summary>
    public const string Password = "secret";

    private readonly string _peerName;
    private TestDnsServer? _dns;
    private TestServer? _rookery;
    private PeerServer? _peer;

    /// <summary>Creates the fixture for the peer named <paramref name="peerName"/> ("prosody", "ejabberd").</summary>
    protected PeerFederation(string peerName) => _peerName = peerName;

    /// <summary>The Rookery server.</summary>
    public TestServer Rookery => _rookery ?? throw Unavailable();

    /// <summary>The peer server.</summary>
    public PeerServer Peer => _peer ?? throw Unavailable();

    /// <summary>The DNS responder both servers ask.</summary>
    public TestDnsServer Dns => _dns ?? throw Unavailable();

    /// <summary>Creates the (not yet started) peer.</summary>
    protected abstract PeerServer CreatePeer();

    /// <summary>Adds the peer's own extra DNS records and accounts (before it starts).</summary>
    protected virtual void Publish(TestDnsServer dns, PeerServer peer)
    {
    }

    /// <summary>Creates the peer's extra accounts (after it started).</summary>
    protected virtual Task CreateExtraUsersAsync(PeerServer peer) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        if (PeerFactAttribute.MissingPeer(_peerName) is not null)
        {
            // The tests are skipped (or, in CI, fail through Unavailable()).
            return;
        }

        _dns = TestDnsServer.Start();
        _peer = CreatePeer();
        var rookeryS2s = RookeryProcess.FreePort();
        // SRV targets are "localhost": ejabberd asks DNS (inet_res) for the SRV record only and resolves its target with
        // the operating system's getaddrinfo, which knows localhost from /etc/hosts on every machine.
        _dns.AddSrv($"_xmpp-server._tcp.{RookeryDomain}", 0, 0, (ushort)rookeryS2s, "localhost");
        _dns.AddSrv($"_xmpp-server._tcp.{_peer.Domain}", 0, 0, (ushort)_peer.S2sPort, "localhost");
        _dns.AddAddress("localhost", IPAddress.Loopback);
        _rookery = await TestServer.StartFederatingAsync(RookeryDomain, rookeryS2s, new S2sOptions { Enabled = true, DnsServers = [_dns.Address], ConnectTimeoutSeconds = 30 });
        foreach (var user in new[] { "alice", "bob", "dave" })
        {
            await _rookery.CreateUserAsync(user, Password);
        }

        Publish(_dns, _peer);
        await _peer.StartAsync(_dns);
        foreach (var user in new[] { "carol", "erin", "frank" })
        {
            await _peer.CreateUserAsync(user, Password);
        }

        await CreateExtraUsersAsync(_peer);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_peer is not null)
        {
            await _peer.DisposeAsync();
        }

        if (_rookery is not null)
        {
            await _rookery.DisposeAsync();
        }

        if (_dns is not null)
        {
            await _dns.DisposeAsync();
        }
    }

    private InvalidOperationException Unavailable() =>
        new($"The {_peerName} peer is not available: {PeerFactAttribute.MissingPeer(_peerName) ?? "it was not started"}");
}
