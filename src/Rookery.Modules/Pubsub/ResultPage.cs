using System.Globalization;
using Rookery.Modules.Mam;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Pubsub;

/// <summary>
/// Result Set Management (XEP-0059) over a list the service holds whole: a node's items (at most the service's
/// <c>MaxItems</c>) or the service's nodes. The ids of the listed things are the RSM ids.
/// </summary>
internal static class ResultPage
{
    /// <summary>
    /// The page of <paramref name="all"/> (in their order) that <paramref name="request"/> asks for, and the
    /// <c>&lt;set/&gt;</c> that describes it; an <c>after</c> or <c>before</c> id not in the list is item-not-found
    /// (XEP-0059 §2.5).
    /// </summary>
    public static (List<T> Page, Element Set) Of<T>(IReadOnlyList<T> all, Func<T, string> idOf, ResultSet request)
    {
        int start, end;
        if (request.Backwards)
        {
            end = request.Before is null ? all.Count : IndexOf(all, idOf, request.Before);
            start = request.Max is { } max ? Math.Max(0, end - max) : 0;
        }
        else
        {
            start = request.After is null ? 0 : IndexOf(all, idOf, request.After) + 1;
            end = request.Max is { } max ? Math.Min(all.Count, start + max) : all.Count;
        }

        var page = new List<T>(end - start);
        for (var i = start; i < end; i++)
        {
            page.Add(all[i]);
        }

        var set = new Element("set", ResultSet.Namespace);
        if (page.Count > 0)
        {
            // XEP-0059 §2.6, §2.7: no first or last for an empty page, as for an item count (max 0).
            set.AddChild("first").SetAttribute("index", start.ToString(CultureInfo.InvariantCulture)).AddText(idOf(page[0]));
            set.AddChild("last").AddText(idOf(page[^1]));
        }

        set.AddChild("count").AddText(all.Count.ToString(CultureInfo.InvariantCulture));
        return (page, set);
    }

    private static int IndexOf<T>(IReadOnlyList<T> all, Func<T, string> idOf, string id)
    {
        for (var i = 0; i < all.Count; i++)
        {
            if (idOf(all[i]) == id)
            {
                return i;
            }
        }

        throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, $"No '{id}' to page from");
    }
}
