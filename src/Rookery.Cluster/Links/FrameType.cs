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

    /// <summary>
    /// Asks the receiver to hand over a resumable session (XEP-0198 resumption on another node); sent only to peers whose
    /// SYNC_BEGIN announced <see cref="LinkCapabilities.SessionHandover"/>.
    /// </summary>
    ResumeRequest = 40,

    /// <summary>The state of a handed-over session; the sender forwards later stanzas for it after this frame.</summary>
    ResumeState = 41,

    /// <summary>The receiver will not hand the session over (unknown, expired, another account's).</summary>
    ResumeRefused = 42,

    /// <summary>The requester took in the handed-over session: the sender may forget the stanzas it carried.</summary>
    ResumeAck = 43,

    /// <summary>
    /// A stanza for a MUC room hosted by the receiving node (sequence, from, to, xml), acknowledged with <see cref="Ack"/>
    /// in the same sequence as <see cref="Stanza"/>; routed again by the sender after a takeover if never acknowledged.
    /// </summary>
    MucStanza = 70,

    /// <summary>Keeps an idle link measured.</summary>
    Ping = 30,

    /// <summary>The answer to <see cref="Ping"/>.</summary>
    Pong = 31,

    /// <summary>
    /// Sent instead of HELLO by an acceptor that refuses the link before any handshake (its TLS setting differs), with
    /// the reason as a string, so that the dialler logs why rather than retrying blind.
    /// </summary>
    Refused = 50,

    /// <summary>An external component instance connected to the sender (domain, instance name, bucket or -1); also its full sync.</summary>
    ComponentUp = 60,

    /// <summary>An external component instance of the sender went away (domain, instance name).</summary>
    ComponentDown = 61,

    /// <summary>A stanza for a component instance connected to the receiver (sequence, domain, instance name, xml); acknowledged with <see cref="Ack"/>.</summary>
    ComponentStanza = 62,

    /// <summary>
    /// The sender's full list of verified outgoing s2s streams (count, then local and remote domain of each), replacing
    /// what the receiver knew of it; sent after a peer's SYNC_BEGIN announced <see cref="LinkCapabilities.S2sRoutes"/>.
    /// </summary>
    S2sRoutes = 80,

    /// <summary>An outgoing s2s stream of the sender was verified (local domain, remote domain).</summary>
    S2sRouteUp = 81,

    /// <summary>An outgoing s2s stream of the sender went away (local domain, remote domain).</summary>
    S2sRouteDown = 82,

    /// <summary>
    /// A stanza for a remote domain, to be sent over the receiver's outgoing s2s stream (sequence, from, to, xml);
    /// acknowledged with <see cref="Ack"/> in the same sequence as <see cref="Stanza"/>.
    /// </summary>
    S2sStanza = 83,

    /// <summary>
    /// Per-account state a module caches changed on the sender (topic, account, detail; <c>AccountChanges</c>): the
    /// receiver's module drops its copy and tells its own clients. Sent to peers announcing
    /// <see cref="LinkCapabilities.AccountChanges"/>.
    /// </summary>
    AccountChange = 110,
}
