using Rookery.Protocol.Addressing;

namespace Rookery.Cluster.Links;

/// <summary>A stanza forwarded to a peer and not acknowledged yet: re-sent on the next link, re-routed if the peer dies.</summary>
internal sealed record PendingStanza(long Sequence, Jid Target, string Xml, Frame Frame);
