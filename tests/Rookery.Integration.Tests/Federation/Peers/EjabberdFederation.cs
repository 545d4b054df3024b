namespace Rookery.Integration.Tests.Federation.Peers;

/// <summary>Rookery federating with Debian's ejabberd (see <see cref="PeerFederation"/>).</summary>
public sealed class EjabberdFederation : PeerFederation
{
    /// <summary>Creates the fixture.</summary>
    public EjabberdFederation()
        : base("ejabberd")
    {
    }

    /// <inheritdoc />
    protected override PeerServer CreatePeer() => new EjabberdPeer("ejabberd.example");
}
