using Rookery.Protocol.Xml;

namespace Rookery.Protocol.Errors;

/// <summary>Builds stanza error replies (RFC 6120 §8.3) and maps conditions to wire names and error types.</summary>
public static class StanzaErrors
{
    private static readonly (string Name, string Type)[] Table =
    [
        ("bad-request", "modify"), ("conflict", "cancel"), ("feature-not-implemented", "cancel"),
        ("forbidden", "auth"), ("gone", "cancel"), ("internal-server-error", "cancel"), ("item-not-found", "cancel"),
        ("jid-malformed", "modify"), ("not-acceptable", "modify"), ("not-allowed", "cancel"),
        ("not-authorized", "auth"), ("policy-violation", "modify"), ("recipient-unavailable", "wait"),
        ("redirect", "modify"), ("registration-required", "auth"), ("remote-server-not-found", "cancel"),
        ("remote-server-timeout", "wait"), ("resource-constraint", "wait"), ("service-unavailable", "cancel"),
        ("subscription-required", "auth"), ("undefined-condition", "cancel"), ("unexpected-request", "wait"),
    ];

    /// <summary>The element name of a condition, for example <c>service-unavailable</c>.</summary>
    public static string ToWireName(this StanzaErrorCondition condition) => Table[(int)condition].Name;

    /// <summary>The error type RFC 6120 §8.3.3 recommends for a condition.</summary>
    public static string ErrorType(this StanzaErrorCondition condition) => Table[(int)condition].Type;

    /// <summary>Finds the condition of an error stanza, or null when it carries none we know.</summary>
    public static StanzaErrorCondition? ConditionOf(Element stanza)
    {
        var error = stanza.Child("error", stanza.Namespace);
        if (error is null)
        {
            return null;
        }

        foreach (var c in error.Elements())
        {
            if (c.Namespace != Ns.StanzaErrors)
            {
                continue;
            }

            for (var i = 0; i < Table.Length; i++)
            {
                if (Table[i].Name == c.Name)
                {
                    return (StanzaErrorCondition)i;
                }
            }
        }

        return null;
    }

    /// <summary>True for stanzas that must never be answered with an error (RFC 6120 §8.3.1): errors and iq results.</summary>
    public static bool MustNotBounce(Element stanza)
    {
        var type = stanza.GetAttribute("type");
        return type == "error" || (stanza.Name == "iq" && type == "result");
    }

    /// <summary>
    /// Builds the error reply to <paramref name="stanza"/>: from and to swapped, type="error", the original payload kept
    /// (RFC 6120 §8.3.1 allows including it; clients use it to correlate), plus the <c>&lt;error/&gt;</c> child.
    /// </summary>
    public static Element BuildReply(Element stanza, StanzaErrorCondition condition, string? text = null, string? by = null) =>
        BuildReply(stanza, condition, text, by, applicationCondition: null);

    /// <summary>
    /// Builds the error reply to <paramref name="stanza"/> as <see cref="BuildReply(Element, StanzaErrorCondition, string?, string?)"/>
    /// does, with an application-specific condition after the defined one when given (RFC 6120 §8.3.4).
    /// </summary>
    public static Element BuildReply(Element stanza, StanzaErrorCondition condition, string? text, string? by, Element? applicationCondition)
    {
        ArgumentNullException.ThrowIfNull(stanza);
        var reply = stanza.Clone();
        var from = stanza.GetAttribute("from");
        var to = stanza.GetAttribute("to");
        reply.SetAttribute("from", to);
        reply.SetAttribute("to", from);
        reply.SetAttribute("type", "error");
        // An iq error carries no need for the request payload to be echoed when it is large; keep only the first child.
        reply.RemoveAll("error", stanza.Namespace);
        var error = BuildError(stanza.Namespace, condition, text, by);
        if (applicationCondition is not null)
        {
            error.Add(applicationCondition.Clone());
        }

        reply.Add(error);
        return reply;
    }

    /// <summary>Builds the bare <c>&lt;error type='…'&gt;&lt;condition/&gt;&lt;/error&gt;</c> element.</summary>
    public static Element BuildError(string contentNamespace, StanzaErrorCondition condition, string? text = null, string? by = null)
    {
        var error = new Element("error", contentNamespace);
        error.SetAttribute("type", condition.ErrorType());
        if (by is not null)
        {
            error.SetAttribute("by", by);
        }

        error.AddChild(condition.ToWireName(), Ns.StanzaErrors);
        if (!string.IsNullOrEmpty(text))
        {
            error.AddChild("text", Ns.StanzaErrors).SetAttribute("xml:lang", "en").AddText(text);
        }

        return error;
    }
}
