namespace Rookery.Cluster.Links;

/// <summary>The kinds of frames on a node link (docs/dev/cluster.md, "Links").</summary>
internal enum FrameType : byte
{
    /// <summary>Protocol versions, node id, name and a fresh nonce; both sides send one first.</summary>
    Hello = 1,

    /// <summary>The HMAC-SHA256 proof that the sender knows the cluster secret.</summary>
    Auth = 2,

    /// <summary>A stanza for a session of the receiving node, with a sequence number to acknowledge.</summary>
    Stanza = 10,

    /// <summary>The receiver delivered (or stored) the stanza with this sequence number.</summary>
    Ack = 11,

    /// <summary>A session of the sender was bound or changed (presence, priority, roster interest).</summary>
    SessionUp = 20,

    /// <summary>A session of the sender was unbound.</summary>
    SessionDown = 21,

    /// <summary>A full list of the sender's sessions follows (after the link came up).</summary>
    SyncBegin = 22,

    /// <summary>End of the full list: sessions of the sender not in it are gone.</summary>
    SyncEnd = 23,

    /// <summary>Close a session of the receiving node with a stream error (the duplicate-resource conflict).</summary>
    CloseSession = 24,

    /// <summary>Keeps an idle link measured.</summary>
    Ping = 30,

    /// <summary>The answer to <see cref="Ping"/>.</summary>
    Pong = 31,

    /// <summary>
    /// Sent instead of HELLO by an acceptor that refuses the link before any handshake (its TLS setting differs), with
    /// the reason as a string, so that the dialler logs why rather than retrying blind.
    /// </summary>
    Refused = 50,
}
