using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Sessions;

namespace Rookery.Modules.Tests;

/// <summary>A bound resource that records what it is sent, for module tests that need a session.</summary>
internal sealed class FakeSession(Jid jid) : ILocalClientSession
{
    public List<Element> Sent { get; } = [];

    public Jid Jid { get; } = jid;

    public int Priority { get; private set; }

    public bool IsAvailable => Presence is not null;

    public Element? Presence { get; private set; }

    public bool IsInterested { get; private set; }

    public HashSet<Jid> DirectedPresence { get; } = [];

    public bool CarbonsEnabled { get; private set; }

    public bool FlexibleOffline { get; private set; }

    public bool Send(Element stanza)
    {
        Sent.Add(stanza);
        return true;
    }

    public void Close(StreamErrorCondition condition, string? text = null)
    {
    }

    public void SetPresence(Element? presence, int priority)
    {
        Presence = presence;
        Priority = priority;
    }

    public void MarkInterested() => IsInterested = true;

    public void SetCarbonsEnabled(bool enabled) => CarbonsEnabled = enabled;

    public void MarkFlexibleOffline() => FlexibleOffline = true;
}
