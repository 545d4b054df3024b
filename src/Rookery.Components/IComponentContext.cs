using Rookery.Protocol.Xml;

namespace Rookery.Components;

/// <summary>What a component service sees of its connection: who it is, and a way to send stanzas to the server.</summary>
public interface IComponentContext
{
    /// <summary>The component domain.</summary>
    string Domain { get; }

    /// <summary>This instance's name.</summary>
    string InstanceName { get; }

    /// <summary>Sends a stanza; its 'from' must be in <see cref="Domain"/> (XEP-0114). Throws when the connection is gone.</summary>
    ValueTask SendAsync(Element stanza, CancellationToken ct = default);
}
