using Rookery.Protocol.Xml;

namespace Rookery.Server.Components;

/// <summary>
/// One connected instance of a component domain, wherever it runs: a <c>ComponentStream</c> on this node, or (added
/// by the cluster through <see cref="ComponentRegistry.AddRemote"/>) an instance connected to another node, whose
/// <see cref="Send"/> forwards over the node link.
/// </summary>
public interface IComponentInstance
{
    /// <summary>The component domain the instance serves.</summary>
    string Domain { get; }

    /// <summary>
    /// A name unique in the cluster (node name and connection id). Hashing and bucket ownership order instances by it,
    /// so every node that knows the same set of instances makes the same choice.
    /// </summary>
    string Name { get; }

    /// <summary>True when the instance is connected to this node.</summary>
    bool IsLocal { get; }

    /// <summary>
    /// Queues a stanza for the instance; false when the instance is gone or closing and nothing was queued, so the
    /// caller picks again. Must not throw.
    /// </summary>
    bool Send(Element stanza);
}
