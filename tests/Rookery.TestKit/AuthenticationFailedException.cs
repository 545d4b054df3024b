using Rookery.Protocol.Xml;

namespace Rookery.TestKit;

/// <summary>SASL ended in a failure; carries the server's answer.</summary>
public sealed class AuthenticationFailedException(Element answer) : Exception("Authentication failed: " + answer)
{
    /// <summary>The server's <c>&lt;failure/&gt;</c> (or whatever it sent instead of a challenge).</summary>
    public Element Answer { get; } = answer;
}
