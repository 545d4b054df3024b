using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Pubsub;

/// <summary>Stanza errors with the pubsub application conditions of XEP-0060 (namespace <c>pubsub#errors</c>).</summary>
public static class PubsubErrors
{
    /// <summary>The namespace of pubsub's application error conditions.</summary>
    public const string Namespace = PubsubService.Namespace + "#errors";

    /// <summary>An error with a pubsub application condition such as <c>nodeid-required</c>.</summary>
    public static StanzaErrorException WithCondition(StanzaErrorCondition condition, string applicationCondition, string? text = null) =>
        new(condition, text, new Element(applicationCondition, Namespace));

    /// <summary>A feature this service does not implement: feature-not-implemented with <c>&lt;unsupported feature='…'/&gt;</c>.</summary>
    public static StanzaErrorException Unsupported(string feature) =>
        new(StanzaErrorCondition.FeatureNotImplemented, null, new Element("unsupported", Namespace).SetAttribute("feature", feature));

    /// <summary>The node does not exist (§6.1.3, §7.1.3, §8.2.3 …).</summary>
    public static StanzaErrorException NoSuchNode() => new(StanzaErrorCondition.ItemNotFound, "No such node");

    /// <summary>The request names no node where one is needed: bad-request with nodeid-required (§7.1.3, §8.2.3).</summary>
    public static StanzaErrorException NodeIdRequired() => WithCondition(StanzaErrorCondition.BadRequest, "nodeid-required");

    /// <summary>The requester lacks the privileges (forbidden, §7.1.3, §8.2.3 …).</summary>
    public static StanzaErrorException Forbidden(string? text = null) => new(StanzaErrorCondition.Forbidden, text);
}
