using Rookery.Protocol.Xml;

namespace Rookery.Protocol.Errors;

/// <summary>
/// Thrown when the stream itself is broken: the connection sends <c>&lt;stream:error/&gt;</c> and closes (RFC 6120 §4.9).
/// </summary>
public sealed class StreamErrorException : Exception
{
    /// <summary>Creates the exception for a condition with an optional human-readable text.</summary>
    public StreamErrorException(StreamErrorCondition condition, string? text = null, string? seeOtherHost = null)
        : base(text ?? condition.ToWireName())
    {
        Condition = condition;
        Text = text;
        SeeOtherHost = seeOtherHost;
    }

    /// <summary>The defined condition sent to the peer.</summary>
    public StreamErrorCondition Condition { get; }

    /// <summary>An explanation sent in the <c>&lt;text/&gt;</c> element, if any.</summary>
    public string? Text { get; }

    /// <summary>The host to reconnect to, for <see cref="StreamErrorCondition.SeeOtherHost"/>.</summary>
    public string? SeeOtherHost { get; }

    /// <summary>Builds the <c>&lt;stream:error/&gt;</c> element for this exception.</summary>
    public Element ToElement() => StreamErrors.Build(Condition, Text, SeeOtherHost);
}
