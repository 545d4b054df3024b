namespace Rookery.Protocol.Xml;

/// <summary>The XML namespaces the server speaks, in one place so that names are compared by reference-equal literals.</summary>
public static class Ns
{
    /// <summary>RFC 6120 stream namespace (<c>stream:</c> prefix).</summary>
    public const string Streams = "http://etherx.jabber.org/streams";
    /// <summary>Client-to-server content namespace.</summary>
    public const string Client = "jabber:client";
    /// <summary>Server-to-server content namespace.</summary>
    public const string Server = "jabber:server";
    /// <summary>Server Dialback elements (<c>db:result</c>, <c>db:verify</c>; XEP-0220).</summary>
    public const string Dialback = "jabber:server:dialback";
    /// <summary>The stream feature announcing Server Dialback (XEP-0220 §2.4).</summary>
    public const string DialbackFeature = "urn:xmpp:features:dialback";
    /// <summary>XEP-0114 component content namespace.</summary>
    public const string Component = "jabber:component:accept";
    /// <summary>XEP-0114 component content namespace when the server opens the connection to the component (connect mode).</summary>
    public const string ComponentConnect = "jabber:component:connect";
    /// <summary>Stream error conditions (RFC 6120 §4.9.3).</summary>
    public const string StreamErrors = "urn:ietf:params:xml:ns:xmpp-streams";
    /// <summary>Stanza error conditions (RFC 6120 §8.3.3).</summary>
    public const string StanzaErrors = "urn:ietf:params:xml:ns:xmpp-stanzas";
    /// <summary>STARTTLS negotiation.</summary>
    public const string Tls = "urn:ietf:params:xml:ns:xmpp-tls";
    /// <summary>SASL negotiation.</summary>
    public const string Sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
    /// <summary>Resource binding.</summary>
    public const string Bind = "urn:ietf:params:xml:ns:xmpp-bind";
    /// <summary>RFC 3921 session establishment, still sent by older clients.</summary>
    public const string Session = "urn:ietf:params:xml:ns:xmpp-session";
    /// <summary>Roster (RFC 6121).</summary>
    public const string Roster = "jabber:iq:roster";
    /// <summary>Roster versioning stream feature (XEP-0237).</summary>
    public const string RosterVer = "urn:xmpp:features:rosterver";
    /// <summary>Pre-approved subscriptions stream feature (RFC 6121 §3.4).</summary>
    public const string PreApproval = "urn:xmpp:features:pre-approval";
    /// <summary>Delayed delivery (XEP-0203).</summary>
    public const string Delay = "urn:xmpp:delay";
    /// <summary>The XML namespace bound to the <c>xml:</c> prefix.</summary>
    public const string Xml = "http://www.w3.org/XML/1998/namespace";
}
