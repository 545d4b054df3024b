using Rookery.Protocol.Xml;

namespace Rookery.Server.Streams;

/// <summary>
/// The XEP-0478 stream feature <c>&lt;limits xmlns='urn:xmpp:stream-limits:0'/&gt;</c>: tells the initiating entity the
/// limits this end enforces on what it receives, so that a client can shrink or refuse an oversized stanza (an avatar,
/// a vCard) instead of learning the limit from a stream error and a reconnect.
/// </summary>
internal static class StreamLimitsFeature
{
    /// <summary>The XEP-0478 namespace.</summary>
    public const string Namespace = "urn:xmpp:stream-limits:0";

    /// <summary>
    /// Adds the feature to <paramref name="features"/>. <paramref name="maxBytes"/> must be the limit the stream's parser
    /// enforces on one top-level element; <paramref name="idleSeconds"/> the silence after which this end checks or ends
    /// the stream, or null where no such check applies (the element is then left out rather than given a number that is
    /// not enforced).
    /// </summary>
    public static void AddTo(Element features, int maxBytes, int? idleSeconds)
    {
        var limits = features.AddChild("limits", Namespace);
        limits.AddChild("max-bytes", Namespace).AddText(maxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (idleSeconds is > 0)
        {
            limits.AddChild("idle-seconds", Namespace).AddText(idleSeconds.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
