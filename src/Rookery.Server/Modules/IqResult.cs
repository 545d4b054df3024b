using Rookery.Protocol.Xml;

namespace Rookery.Server.Modules;

/// <summary>What an iq handler answers: a result with an optional payload. Errors are thrown as <c>StanzaErrorException</c>.</summary>
public readonly struct IqResult
{
    private IqResult(Element? payload) => Payload = payload;

    /// <summary>The child element of the result, or null for an empty result.</summary>
    public Element? Payload { get; }

    /// <summary>An empty <c>type='result'</c>.</summary>
    public static IqResult Empty => default;

    /// <summary>A result carrying <paramref name="payload"/>.</summary>
    public static IqResult With(Element payload) => new(payload);
}
