using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Blocking;

/// <summary>
/// A XEP-0377 report attached to one item of a block command: why the user blocks the JID (spam or abuse), what they
/// wrote about it, which archived messages (XEP-0359 stanza IDs) they point at, and which further processing they
/// allowed (<c>&lt;report-origin/&gt;</c>, <c>&lt;third-party/&gt;</c>).
/// </summary>
internal sealed record BlockReport(
    Jid Reported,
    string Reason,
    IReadOnlyList<string> Texts,
    IReadOnlyList<string> StanzaIds,
    IReadOnlyList<string> OptIns)
{
    /// <summary>The XEP-0377 namespace, also the disco#info feature.</summary>
    public const string Namespace = "urn:xmpp:reporting:1";

    /// <summary>The reason for unwanted messages.</summary>
    public const string Spam = "urn:xmpp:reporting:spam";

    /// <summary>The reason for any other abuse.</summary>
    public const string Abuse = "urn:xmpp:reporting:abuse";

    private const string StanzaIdNamespace = "urn:xmpp:sid:0";

    /// <summary>
    /// The reports of a block command's items, in order; items without a report are skipped. Throws
    /// <c>bad-request</c> for a report without a known reason, a second report in one item or a stanza ID without its
    /// 'id' and 'by', so that a bad report fails the whole command before anything is blocked (the items' JIDs are
    /// checked before this runs).
    /// </summary>
    public static List<BlockReport> ParseAll(Element block)
    {
        var reports = new List<BlockReport>();
        foreach (var item in block.Elements())
        {
            if (item.Name != "item" || item.Namespace != BlockingModule.Namespace)
            {
                continue;
            }

            BlockReport? found = null;
            foreach (var child in item.Elements())
            {
                if (child.Name != "report" || child.Namespace != Namespace)
                {
                    continue;
                }

                if (found is not null)
                {
                    throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "An item carries at most one report");
                }

                found = Parse(Jid.Parse(item.GetAttribute("jid")!), child);
            }

            if (found is not null)
            {
                reports.Add(found);
            }
        }

        return reports;
    }

    private static BlockReport Parse(Jid reported, Element report)
    {
        // XEP-0377 §4: the reason is required, and only the registered reasons mean anything to the operator.
        var reason = report.GetAttribute("reason");
        if (reason is not (Spam or Abuse))
        {
            throw new StanzaErrorException(
                StanzaErrorCondition.BadRequest, $"A report's reason must be '{Spam}' or '{Abuse}'");
        }

        var texts = new List<string>();
        var stanzaIds = new List<string>();
        var optIns = new List<string>();
        foreach (var child in report.Elements())
        {
            switch (child.Namespace, child.Name)
            {
                case (Namespace, "text"):
                    texts.Add(child.Text.Trim());
                    break;
                case (StanzaIdNamespace, "stanza-id"):
                    var id = child.GetAttribute("id");
                    var by = child.GetAttribute("by");
                    if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(by))
                    {
                        throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "A stanza-id needs 'id' and 'by' (XEP-0359)");
                    }

                    stanzaIds.Add(by + "#" + id);
                    break;
                case (Namespace, "report-origin" or "third-party"):
                    optIns.Add(child.Name);
                    break;
            }
        }

        return new BlockReport(reported, reason, texts, stanzaIds, optIns);
    }
}
