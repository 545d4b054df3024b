namespace Rookery.Storage;

/// <summary>A stored publish-subscribe node: its name and its configuration as field name → value (XEP-0060 §16.4).</summary>
/// <param name="Name">The node id, for example <c>urn:xmpp:avatar:metadata</c>.</param>
/// <param name="Config">The configuration; the module that owns the node decides what the fields mean.</param>
public sealed record PubsubNode(string Name, IReadOnlyDictionary<string, string> Config);
