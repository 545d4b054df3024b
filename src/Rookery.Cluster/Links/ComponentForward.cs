namespace Rookery.Cluster.Links;

/// <summary>What became of a stanza handed to <see cref="PeerConnection.SendComponentStanza"/>.</summary>
internal enum ComponentForward
{
    /// <summary>Queued for the peer (sent now, or on the next link) and kept until acknowledged.</summary>
    Queued,

    /// <summary>The peer left or was declared dead: its instances are gone.</summary>
    Gone,

    /// <summary>Too many stanzas to the peer wait for acknowledgement: the instance is alive but cannot take more now.</summary>
    Full,
}
