namespace Rookery.Integration.Tests.Federation.Peers;

/// <summary>Rookery federating with Debian's Prosody (see <see cref="PeerFederation"/>).</summary>
public sealed class ProsodyFederation : PeerFederation
{
    /// <summary>Creates the fixture.</summary>
    public ProsodyFederation()
        : base("prosody")
    {
    }

    /// <inheritdoc />
    protected override PeerServer CreatePeer() => new ProsodyPeer("prosody.example");
}
