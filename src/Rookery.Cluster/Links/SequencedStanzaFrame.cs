using Rookery.Protocol.Addressing;
using Rookery.Server.Routing;
using Rookery.Server.Util;

namespace Rookery.Cluster.Links;

/// <summary>
/// Reads back the stanza of a frame this node sent with the shared layout (sequence, from, to, xml): MUC_STANZA and
/// S2S_STANZA, when an unacknowledged one is routed again after its peer died or could not take it.
/// </summary>
internal static class SequencedStanzaFrame
{
    /// <summary>The stanza the frame carries, or null when its addresses do not parse.</summary>
    public static Stanza? Read(Frame frame)
    {
        var reader = new PayloadReader(frame.Payload.Span);
        reader.Int64();
        var fromText = reader.String();
        var toText = reader.String();
        var xml = reader.String();
        return Jid.TryParse(fromText, out var from) && Jid.TryParse(toText, out var to) ? new Stanza(StoredStanza.Parse(xml), from, to) : null;
    }
}
