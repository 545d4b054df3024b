using Rookery.Protocol.Xml;

namespace Rookery.Protocol.Sasl;

/// <summary>
/// A client's <c>&lt;authenticate/&gt;</c> request of the Extensible SASL Profile (XEP-0388 §2.3): the mechanism, its
/// initial response, who the client says it is (<c>&lt;user-agent/&gt;</c>) and the requests to be carried out inline
/// once authentication succeeds (Bind 2, XEP-0386; stream resumption, XEP-0198).
/// </summary>
public sealed class Sasl2Authenticate
{
    /// <summary>The XEP-0388 namespace.</summary>
    public const string Namespace = "urn:xmpp:sasl:2";

    /// <summary>The FAST namespace (XEP-0484).</summary>
    public const string FastNamespace = "urn:xmpp:fast:0";

    // The user-agent id is only ever hashed and logged; a client has no reason to send a long one (XEP-0388 asks for a UUID).
    private const int MaxUserAgentIdLength = 128;

    private Sasl2Authenticate(string mechanism, string initialResponse)
    {
        Mechanism = mechanism;
        InitialResponse = initialResponse;
    }

    /// <summary>The SASL mechanism the client chose.</summary>
    public string Mechanism { get; }

    /// <summary>The base64 text of <c>&lt;initial-response/&gt;</c>; empty when the client sent none.</summary>
    public string InitialResponse { get; }

    /// <summary>The stable id of this client installation (<c>&lt;user-agent id=.../&gt;</c>), or null.</summary>
    public string? UserAgentId { get; private init; }

    /// <summary>The client software's name (<c>&lt;software/&gt;</c>), for logs only.</summary>
    public string? Software { get; private init; }

    /// <summary>The device's name (<c>&lt;device/&gt;</c>), for logs only.</summary>
    public string? Device { get; private init; }

    /// <summary>The Bind 2 request carried inline, or null when the client will bind later (or not at all).</summary>
    public Bind2Request? Bind { get; private init; }

    /// <summary>The XEP-0198 <c>&lt;resume/&gt;</c> carried inline, or null.</summary>
    public Element? Resume { get; private init; }

    /// <summary>The mechanism of a FAST <c>&lt;request-token/&gt;</c> (XEP-0484 §4.2), or null when no token is asked for.</summary>
    public string? RequestToken { get; private init; }

    /// <summary>True when the client authenticates with a FAST token and asks for it to be invalidated (XEP-0484 §4.6).</summary>
    public bool InvalidateToken { get; private init; }

    /// <summary>
    /// Reads an <c>&lt;authenticate/&gt;</c> element. Throws <see cref="SaslException"/> with
    /// <see cref="SaslFailure.InvalidMechanism"/> when the mandatory 'mechanism' attribute is missing, and with
    /// <see cref="SaslFailure.MalformedRequest"/> for a user-agent id that cannot be one.
    /// </summary>
    public static Sasl2Authenticate Parse(Element authenticate, string streamManagementNamespace)
    {
        ArgumentNullException.ThrowIfNull(authenticate);
        var mechanism = authenticate.GetAttribute("mechanism");
        if (string.IsNullOrEmpty(mechanism))
        {
            return SaslException.Throw<Sasl2Authenticate>(SaslFailure.InvalidMechanism, "<authenticate/> names no mechanism.");
        }

        var agent = authenticate.Child("user-agent", Namespace);
        var agentId = agent?.GetAttribute("id");
        if (agentId is not null && (agentId.Length == 0 || agentId.Length > MaxUserAgentIdLength))
        {
            return SaslException.Throw<Sasl2Authenticate>(SaslFailure.MalformedRequest, "The user-agent id is empty or too long.");
        }

        var bind = authenticate.Child("bind", Bind2Request.Namespace);
        return new Sasl2Authenticate(mechanism, authenticate.ChildText("initial-response", Namespace) ?? string.Empty)
        {
            UserAgentId = agentId,
            Software = agent?.ChildText("software", Namespace),
            Device = agent?.ChildText("device", Namespace),
            Bind = bind is null ? null : Bind2Request.Parse(bind),
            Resume = authenticate.Child("resume", streamManagementNamespace),
            RequestToken = authenticate.Child("request-token", FastNamespace)?.GetAttribute("mechanism"),
            InvalidateToken = authenticate.Child("fast", FastNamespace)?.GetAttribute("invalidate") is "1" or "true",
        };
    }
}
