using Rookery.Protocol.Xml;

namespace Rookery.Protocol.Errors;

/// <summary>
/// Thrown by a handler that rejects one stanza: the sender gets an error reply (RFC 6120 §8.3) and the stream goes on.
/// </summary>
public sealed class StanzaErrorException : Exception
{
    /// <summary>Creates the exception for a condition with an optional human-readable text.</summary>
    public StanzaErrorException(StanzaErrorCondition condition, string? text = null)
        : base(text ?? condition.ToWireName())
    {
        Condition = condition;
        Text = text;
    }

    /// <summary>
    /// Creates the exception for a condition with an application-specific condition element as well (RFC 6120 §8.3.4),
    /// for example XEP-0050's <c>&lt;bad-sessionid xmlns='http://jabber.org/protocol/commands'/&gt;</c>.
    /// </summary>
    public StanzaErrorException(StanzaErrorCondition condition, string? text, Element applicationCondition)
        : this(condition, text)
    {
        ArgumentNullException.ThrowIfNull(applicationCondition);
        ApplicationCondition = applicationCondition;
    }

    /// <summary>The defined condition of the error reply.</summary>
    public StanzaErrorCondition Condition { get; }

    /// <summary>An explanation for the <c>&lt;text/&gt;</c> element, if any.</summary>
    public string? Text { get; }

    /// <summary>An application-specific condition added to the error after the defined one, or null.</summary>
    public Element? ApplicationCondition { get; }
}
