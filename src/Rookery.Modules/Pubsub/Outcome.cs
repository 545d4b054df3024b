using Rookery.Protocol.Xml;

namespace Rookery.Modules.Pubsub;

/// <summary>
/// What handling a request produced: the payload of the iq result (null for an empty result) and, optionally, work to
/// do once the result is on its way, such as the last item sent on subscription (XEP-0060 §6.1.7).
/// </summary>
/// <param name="Result">The iq result's payload, or null.</param>
/// <param name="Then">Run after the result was routed, or null.</param>
public readonly record struct Outcome(Element? Result, Func<ValueTask>? Then = null)
{
    /// <summary>An outcome that is just a result payload.</summary>
    public static implicit operator Outcome(Element? result) => new(result);

    /// <summary>An outcome that is just a result payload.</summary>
    public static Outcome FromElement(Element? result) => new(result);
}
