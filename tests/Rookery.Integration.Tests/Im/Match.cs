using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Integration.Tests.Im;

/// <summary>Predicates over stanzas received by a test client, so that a test states in one line what it waits for.</summary>
internal static class Match
{
    /// <summary>Any message stanza.</summary>
    public static bool AnyMessage(Element e) => e.Name == "message";

    /// <summary>Any roster push (an iq set with a jabber:iq:roster query).</summary>
    public static bool AnyRosterPush(Element e) =>
        e.Name == "iq" && e.GetAttribute("type") == "set" && e.Child("query", Ns.Roster) is not null;

    /// <summary>A message, optionally from a given JID and with a given body.</summary>
    public static Func<Element, bool> Message(string? from = null, string? body = null) => e =>
        e.Name == "message"
        && (from is null || e.GetAttribute("from") == from)
        && (body is null || e.ChildText("body", Ns.Client) == body);

    /// <summary>A presence from exactly <paramref name="from"/> with exactly this type (null: available).</summary>
    public static Func<Element, bool> Presence(string from, string? type = null) => e =>
        e.Name == "presence" && e.GetAttribute("from") == from && e.GetAttribute("type") == type;

    /// <summary>Any presence whose sender is <paramref name="bare"/> or one of its resources.</summary>
    public static Func<Element, bool> AnyPresenceFrom(string bare) => e =>
        e.Name == "presence" && e.GetAttribute("from") is { } from && (from == bare || from.StartsWith(bare + "/", StringComparison.Ordinal));

    /// <summary>A roster push whose item is about <paramref name="contact"/>.</summary>
    public static Func<Element, bool> RosterPush(string contact) => e =>
        AnyRosterPush(e) && PushedItem(e).GetAttribute("jid") == contact;

    /// <summary>A roster push about <paramref name="contact"/> with this subscription state (and ask, when given).</summary>
    public static Func<Element, bool> RosterPush(string contact, string subscription, string? ask = null) => e =>
        RosterPush(contact)(e)
        && PushedItem(e).GetAttribute("subscription") == subscription
        && PushedItem(e).GetAttribute("ask") == ask;

    /// <summary>The iq result or error answering the request with this id.</summary>
    public static Func<Element, bool> IqReply(string id) => e =>
        e.Name == "iq" && e.GetAttribute("id") == id && e.GetAttribute("type") is "result" or "error";

    /// <summary>An error stanza of this kind answering the stanza with this id.</summary>
    public static Func<Element, bool> Error(string name, string id) => e =>
        e.Name == name && e.GetAttribute("id") == id && e.GetAttribute("type") == "error";

    /// <summary>The single item of a roster push.</summary>
    public static Element PushedItem(Element push) => push.Child("query", Ns.Roster)!.Child("item", Ns.Roster)!;

    /// <summary>The defined condition of an error stanza, as its wire name (for readable assertion messages).</summary>
    public static string? Condition(Element error) => StanzaErrors.ConditionOf(error)?.ToWireName();
}
