using System.Runtime.CompilerServices;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;

namespace Rookery.Modules.Carbons;

/// <summary>
/// Message Carbons (XEP-0280): a resource that enabled carbons gets a copy of each instant message its account sent or
/// received on another resource, so that every device of a user shows both sides of each conversation.
/// </summary>
/// <remarks>
/// Whether a session enabled carbons is kept on the session itself (<see cref="IClientSession.CarbonsEnabled"/>): it
/// lasts across stream management resumption, moves with a session handed over to another node, is gone with the
/// session, and the cluster replicates it, so copies reach a user's resources on every node.
/// </remarks>
[Xep(280, "1.0.1", XepStatus.Partial, Note = "urn:xmpp:carbons:rules:0 is not announced (error replies to copied messages are not copied)")]
public sealed class CarbonsModule(SessionTable sessions) : IXmppModule
{
    /// <summary>The XEP-0280 namespace.</summary>
    public const string Namespace = "urn:xmpp:carbons:2";

    /// <summary>The XEP-0297 stanza forwarding namespace that wraps the copied message.</summary>
    public const string ForwardNamespace = "urn:xmpp:forward:0";

    /// <summary>
    /// The priority of the module's stanza hooks: below the hooks that reject stanzas (blocking and the like), so that a
    /// message that goes nowhere is not copied either; above archiving (<c>MamModule.HookPriority</c>), so that a
    /// received message loses its &lt;private/&gt; before it is archived and delivered.
    /// </summary>
    public const int HookPriority = -90;

    private static readonly object Private = new();
    private static ValueTask<HookResult> Continue => new(HookResult.Continue);
    private static ValueTask<IqResult> Done => new(IqResult.Empty);

    // Messages whose <private/> the inbound hook removed: still not copied when they are delivered.
    private readonly ConditionalWeakTable<Element, object> _private = new();

    /// <inheritdoc />
    public string Name => "carbons";

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddFeature(Namespace);
        builder.HandleIq(IqType.Set, IqTarget.Bare, Namespace, "enable", OnEnable);
        builder.HandleIq(IqType.Set, IqTarget.Bare, Namespace, "disable", OnDisable);
        builder.Hook(HookPoint.Outbound, HookPriority, OnOutbound);
        builder.Hook(HookPoint.Inbound, HookPriority, OnInbound);
        builder.OnMessageDelivered(OnDelivered);
    }

    /// <summary>True when <paramref name="session"/> enabled carbons (and has not disabled them since).</summary>
    public static bool IsEnabled(IClientSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return session.CarbonsEnabled;
    }

    /// <summary>Turns carbons on or off for <paramref name="session"/>; doing it twice is no error (§10.1).</summary>
    internal void SetEnabled(IClientSession session, bool enabled)
    {
        if (session is ILocalClientSession local && local.CarbonsEnabled != enabled)
        {
            local.SetCarbonsEnabled(enabled);
            // The cluster replicates the flag (SESSION_UP), so that other nodes copy to this resource too.
            sessions.Changed(session);
        }
    }

    private ValueTask<IqResult> OnEnable(IqContext iq)
    {
        SetEnabled(OwnSession(iq), enabled: true);
        return Done;
    }

    private ValueTask<IqResult> OnDisable(IqContext iq)
    {
        SetEnabled(OwnSession(iq), enabled: false);
        return Done;
    }

    /// <summary>The session asking for itself; §4.1 and §5.1: not-allowed for anyone else.</summary>
    private static IClientSession OwnSession(IqContext iq) =>
        iq.IsSelf && iq.Session is { } session
            ? session
            : throw new StanzaErrorException(StanzaErrorCondition.NotAllowed, "Carbons are enabled by a client of this server for its own session");

    /// <summary>§8: a message a local client sends is copied, wrapped in &lt;sent/&gt;, to the account's other resources.</summary>
    private ValueTask<HookResult> OnOutbound(StanzaHookContext context)
    {
        var stanza = context.Stanza;
        var sender = context.Session;
        // A message to the account itself is copied once it is delivered, when the resources that got it are known.
        if (!stanza.IsMessage || sender is null || stanza.To.Bare == stanza.From.Bare)
        {
            return Continue;
        }

        var account = stanza.From.Bare;
        var all = sessions.Sessions(account);
        if (all.Length < 2 || !CarbonRules.IsEligible(stanza.Element, received: false))
        {
            return Continue;
        }

        foreach (var s in all)
        {
            // §8: to every carbons-enabled resource but the one that sent it (whether or not that one enabled carbons).
            if (!ReferenceEquals(s, sender) && s.IsAvailable && IsEnabled(s))
            {
                s.Send(Wrap("sent", stanza.Element, account, s.Jid));
            }
        }

        return Continue;
    }

    /// <summary>§9: the receiving server SHOULD remove &lt;private/&gt; before it delivers the message.</summary>
    private ValueTask<HookResult> OnInbound(StanzaHookContext context)
    {
        var element = context.Stanza.Element;
        if (context.Stanza.IsMessage && element.Child("private", Namespace) is not null)
        {
            _private.AddOrUpdate(element, Private);
            element.RemoveAll("private", Namespace);
        }

        return Continue;
    }

    /// <summary>
    /// §7: a message delivered to some resources of a local account is copied, wrapped in &lt;received/&gt;, to the
    /// account's other carbons-enabled resources. A message between two resources of the same account is copied as
    /// &lt;sent/&gt; instead (§8), to the resources that neither sent nor received it, so that each gets it once.
    /// </summary>
    private void OnDelivered(Stanza message, IReadOnlyList<IClientSession> deliveredTo)
    {
        var element = message.Element;
        var account = message.To.Bare;
        // The cheapest test first: most accounts have one resource, and then there is nobody to copy to (issue #6).
        var all = sessions.Sessions(account);
        if (all.Length <= deliveredTo.Count)
        {
            return;
        }

        var self = message.From.Bare == account;
        if (_private.TryGetValue(element, out _) || !CarbonRules.IsEligible(element, received: !self))
        {
            return;
        }

        foreach (var s in all)
        {
            // §7: not to the resources the message was delivered to: they have the original.
            if (!s.IsAvailable || !IsEnabled(s) || Contains(deliveredTo, s) || (self && s.Jid == message.From))
            {
                continue;
            }

            s.Send(Wrap(self ? "sent" : "received", element, account, s.Jid));
        }
    }

    private static bool Contains(IReadOnlyList<IClientSession> list, IClientSession session)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (ReferenceEquals(list[i], session))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// §7 and §8: the copy comes from the account's bare JID, is addressed to the resource that gets it, keeps the
    /// original's type, and carries the original message forwarded as in XEP-0297.
    /// </summary>
    private static Element Wrap(string kind, Element original, Jid account, Jid to)
    {
        var carbon = new Element("message", Ns.Client)
            .SetAttribute("from", account.ToString())
            .SetAttribute("to", to.ToString())
            .SetAttribute("type", original.GetAttribute("type"));
        // A copy: the original goes on to its own recipients, where later steps may change it.
        carbon.AddChild(kind, Namespace).AddChild("forwarded", ForwardNamespace).Add(original.Clone());
        return carbon;
    }
}
