using System.Globalization;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Storage;

namespace Rookery.Modules.Mam;

/// <summary>
/// Result Set Management (XEP-0059) as archive queries use it: the requested page (<c>max</c>, <c>after</c>,
/// <c>before</c>) and the <c>&lt;set/&gt;</c> that describes the page returned. Archive ids are the RSM ids.
/// </summary>
/// <param name="Max">The requested page size, or null when the client gave none.</param>
/// <param name="After">Page forwards, after this id.</param>
/// <param name="Before">With <paramref name="Backwards"/>: page backwards, before this id; null for the last page.</param>
/// <param name="Backwards">True when the request had a <c>&lt;before/&gt;</c>, empty or not.</param>
internal sealed record ResultSet(int? Max, string? After, string? Before, bool Backwards)
{
    /// <summary>The RSM namespace.</summary>
    public const string Namespace = "http://jabber.org/protocol/rsm";

    /// <summary>No paging requested: the first page, of the server's default size.</summary>
    public static ResultSet None { get; } = new(null, null, null, false);

    /// <summary>Reads an RSM request (null when the query has none); malformed requests are bad-request.</summary>
    public static ResultSet Parse(Element? set)
    {
        if (set is null)
        {
            return None;
        }

        int? max = null;
        string? after = null, before = null;
        var backwards = false;
        foreach (var child in set.Elements())
        {
            if (child.Namespace != Namespace)
            {
                continue;
            }

            switch (child.Name)
            {
                case "max":
                    max = int.TryParse(child.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                        ? n
                        : throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "<max/> must be a non-negative integer");
                    break;
                case "after":
                    after = child.Text.Length > 0
                        ? child.Text
                        : throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "<after/> needs an id");
                    break;
                case "before":
                    // XEP-0059 §2.5: an empty <before/> asks for the last page.
                    backwards = true;
                    before = child.Text.Length > 0 ? child.Text : null;
                    break;
                case "index":
                    throw new StanzaErrorException(StanzaErrorCondition.FeatureNotImplemented, "Paging by index is not supported; use <after/> or <before/>");
            }
        }

        if (after is not null && backwards)
        {
            // XEP-0313 §4.3.2: RSM does not define <after/> with <before/>; before-id and after-id do that job.
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "<after/> and <before/> cannot be combined; use the after-id and before-id fields");
        }

        return new ResultSet(max, after, before, backwards);
    }

    /// <summary>The <c>&lt;set/&gt;</c> describing a returned page (XEP-0059 §2.6, §2.7: no first or last when empty).</summary>
    public static Element Describe(ArchivePage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        var set = new Element("set", Namespace);
        if (page.First is { } first)
        {
            set.AddChild("first").SetAttribute("index", page.FirstIndex.ToString(CultureInfo.InvariantCulture)).AddText(first);
            set.AddChild("last").AddText(page.Last!);
        }

        set.AddChild("count").AddText(page.Count.ToString(CultureInfo.InvariantCulture));
        return set;
    }
}
