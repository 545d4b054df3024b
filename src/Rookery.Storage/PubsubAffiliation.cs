namespace Rookery.Storage;

/// <summary>An entity's affiliation with a node of a publish-subscribe service (XEP-0060 §4.1).</summary>
/// <param name="Node">The node id.</param>
/// <param name="Jid">The affiliated entity's bare JID.</param>
/// <param name="Affiliation">The XEP-0060 name: <c>owner</c>, <c>publisher</c>, <c>publish-only</c>, <c>member</c> or <c>outcast</c>.</param>
public sealed record PubsubAffiliation(string Node, string Jid, string Affiliation);
