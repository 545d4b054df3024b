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
    /// Creates the exception for a condition with an application-specific condition element (RFC 6120 §8.3.2, for
    /// example XEP-0060's <c>&lt;precondition-not-met/&gt;</c>) and an optional text.
    /// </summary>
    public StanzaErrorException(StanzaErrorCondition condition, Xml.Element applicationCondition, string? text = null)
        : this(condition, text)
    {
        ArgumentNullException.ThrowIfNull(applicationCondition);
        ApplicationCondition = applicationCondition;
    }

    /// <summary>The application-specific condition element added to the error, or null for none.</summary>
    public Xml.Element? ApplicationCondition { get; }

    /// <summary>The defined condition of the error reply.</summary>
    public StanzaErrorCondition Condition { get; }

    /// <summary>An explanation for the <c>&lt;text/&gt;</c> element, if any.</summary>
    public string? Text { get; }
}
