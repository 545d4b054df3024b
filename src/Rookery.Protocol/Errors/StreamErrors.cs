using Rookery.Protocol.Xml;

namespace Rookery.Protocol.Errors;

/// <summary>Builds stream error elements and maps conditions to their wire names.</summary>
public static class StreamErrors
{
    private static readonly string[] WireNames =
    [
        "bad-format", "bad-namespace-prefix", "conflict", "connection-timeout", "host-gone", "host-unknown",
        "improper-addressing", "internal-server-error", "invalid-from", "invalid-namespace", "invalid-xml",
        "not-authorized", "not-well-formed", "policy-violation", "remote-connection-failed", "reset",
        "resource-constraint", "restricted-xml", "see-other-host", "system-shutdown", "undefined-condition",
        "unsupported-encoding", "unsupported-feature", "unsupported-stanza-type", "unsupported-version",
    ];

    /// <summary>The element name of a condition, for example <c>not-well-formed</c>.</summary>
    public static string ToWireName(this StreamErrorCondition condition) => WireNames[(int)condition];

    /// <summary>Parses a wire name back to a condition (unknown names map to undefined-condition).</summary>
    public static StreamErrorCondition Parse(string wireName)
    {
        var i = Array.IndexOf(WireNames, wireName);
        return i < 0 ? StreamErrorCondition.UndefinedCondition : (StreamErrorCondition)i;
    }

    /// <summary>Builds <c>&lt;stream:error&gt;&lt;condition/&gt;&lt;text/&gt;&lt;/stream:error&gt;</c>.</summary>
    public static Element Build(StreamErrorCondition condition, string? text = null, string? seeOtherHost = null)
    {
        var error = new Element("error", Ns.Streams);
        var c = error.AddChild(condition.ToWireName(), Ns.StreamErrors);
        if (condition == StreamErrorCondition.SeeOtherHost && seeOtherHost is not null)
        {
            c.AddText(seeOtherHost);
        }

        if (!string.IsNullOrEmpty(text))
        {
            error.AddChild("text", Ns.StreamErrors).SetAttribute("xml:lang", "en").AddText(text);
        }

        return error;
    }
}
