using System.Globalization;
using Microsoft.Extensions.Logging;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Server.Util;
using Rookery.Storage;

namespace Rookery.Modules.Mam;

/// <summary>
/// Archive queries (XEP-0313 §4): each matching message goes to the querying session as a <c>&lt;result/&gt;</c>
/// message wrapping the original in a XEP-0297 <c>&lt;forwarded/&gt;</c> with its XEP-0203 delay, then the iq result
/// carries <c>&lt;fin/&gt;</c> with the RSM description of the page. Also the query form (§4.1.5) and the archive
/// metadata (§5) of the extended feature.
/// </summary>
internal sealed partial class MamQueryHandler(IMessageArchiveStore store, MamOptions options, ILogger logger)
{
    /// <summary>The XEP-0297 namespace.</summary>
    public const string ForwardNamespace = "urn:xmpp:forward:0";

    /// <summary>Runs a query (iq set) and answers with fin once every result has been queued to the session.</summary>
    public async ValueTask<IqResult> QueryAsync(IqContext iq)
    {
        MamModule.RequireSelf(iq);
        // The 'node' attribute is reserved for pubsub archives (XEP-0313 §7.1.3); an account has no nodes.
        if (iq.Payload.GetAttribute("node") is not null)
        {
            throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, "An account's archive has no nodes");
        }

        // Results go to the session that asked, before the iq result: a request that no longer has one gets nothing.
        var session = iq.Session ?? throw new StanzaErrorException(StanzaErrorCondition.ServiceUnavailable);
        var fin = await RunAsync(iq.To.Bare.ToString(), iq.Payload, iq.From.ToString(), result => ValueTask.FromResult(session.Send(result)), iq.Cancellation).ConfigureAwait(false);
        return IqResult.With(fin);
    }

    /// <summary>
    /// Runs the query <paramref name="payload"/> on <paramref name="owner"/>'s archive (a user's or a room's, XEP-0313
    /// §5.1.2), hands each result message, addressed to <paramref name="requester"/> from the owner, to
    /// <paramref name="send"/> (which returns false to stop), and returns the <c>&lt;fin/&gt;</c> element.
    /// </summary>
    public async ValueTask<Element> RunAsync(string owner, Element payload, string requester, Func<Element, ValueTask<bool>> send, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(send);
        var form = MamQueryForm.Parse(payload.Child("x", MamQueryForm.DataFormsNamespace));
        var rsm = ResultSet.Parse(payload.Child("set", ResultSet.Namespace));
        if (form.Ids is { Count: > ArchiveQuery.MaxIds })
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"At most {ArchiveQuery.MaxIds} ids can be asked for at once");
        }

        // §4.3.1: the server may limit a page, whatever the client asked for; the client pages on.
        var max = Math.Min(rsm.Max ?? options.DefaultPageSize, options.MaxPageSize);
        var page = await store.QueryAsync(
            owner,
            new ArchiveQuery
            {
                With = form.With?.Bare.ToString(),
                WithResource = form.With?.Resource,
                Start = form.Start,
                End = form.End,
                AfterId = form.AfterId,
                BeforeId = form.BeforeId,
                Ids = form.Ids,
                PageAfter = rsm.After,
                PageBefore = rsm.Before,
                Backwards = rsm.Backwards,
                Max = max,
            },
            ct).ConfigureAwait(false)
            // §4.1.3, §4.3.2: an id that is not in the archive.
            ?? throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, "No message with that id is in the archive");

        var queryId = payload.GetAttribute("queryid");
        // §4.3.4 (flipped pages): the same page, sent newest first.
        var flip = payload.Child("flip-page", MamModule.Namespace) is not null;
        for (var i = 0; i < page.Items.Count; i++)
        {
            var item = page.Items[flip ? page.Items.Count - 1 - i : i];
            if (Result(item, owner, requester, queryId) is { } result && !await send(result).ConfigureAwait(false))
            {
                break;
            }
        }

        var fin = new Element("fin", MamModule.Namespace).SetAttribute("complete", page.Complete ? "true" : "false");
        fin.Add(ResultSet.Describe(page));
        return fin;
    }

    /// <summary>The fields a query may use (iq get, §4.1.5).</summary>
    public static ValueTask<IqResult> FormAsync(IqContext iq)
    {
        MamModule.RequireSelf(iq);
        var query = new Element("query", MamModule.Namespace);
        query.Add(MamQueryForm.Blank());
        return ValueTask.FromResult(IqResult.With(query));
    }

    /// <summary>The first and last message of the archive (§5), or an empty element for an empty archive.</summary>
    public async ValueTask<IqResult> MetadataAsync(IqContext iq)
    {
        MamModule.RequireSelf(iq);
        var owner = iq.To.Bare.ToString();
        var first = await store.QueryAsync(owner, new ArchiveQuery { Max = 1 }, iq.Cancellation).ConfigureAwait(false);
        var last = await store.QueryAsync(owner, new ArchiveQuery { Max = 1, Backwards = true }, iq.Cancellation).ConfigureAwait(false);
        var metadata = new Element("metadata", MamModule.Namespace);
        if (first is { Items.Count: 1 } && last is { Items.Count: 1 })
        {
            metadata.AddChild("start").SetAttribute("id", first.Items[0].Id).SetAttribute("timestamp", Stamp(first.Items[0].Stamp));
            metadata.AddChild("end").SetAttribute("id", last.Items[0].Id).SetAttribute("timestamp", Stamp(last.Items[0].Stamp));
        }

        return IqResult.With(metadata);
    }

    /// <summary>One result message, or null (logged) when the stored stanza cannot be read back.</summary>
    private Element? Result(ArchivedMessage item, string owner, string requester, string? queryId)
    {
        Element original;
        try
        {
            original = StoredStanza.Parse(item.StanzaXml);
        }
        catch (FormatException e)
        {
            Log.CorruptMessage(logger, e, item.Id, owner);
            return null;
        }

        var message = new Element("message", Ns.Client).SetAttribute("to", requester).SetAttribute("from", owner);
        var result = message.AddChild("result", MamModule.Namespace).SetAttribute("queryid", queryId).SetAttribute("id", item.Id);
        var forwarded = result.AddChild("forwarded", ForwardNamespace);
        // XEP-0297 §3 with XEP-0203: when the server received the original.
        forwarded.AddChild("delay", Ns.Delay).SetAttribute("stamp", Stamp(item.Stamp));
        forwarded.Add(original);
        return message;
    }

    private static string Stamp(DateTimeOffset stamp) =>
        stamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1310, Level = LogLevel.Warning, Message = "Archived message {Id} of {Owner} is not well-formed and was left out of the results")]
        public static partial void CorruptMessage(ILogger logger, Exception e, string id, string owner);
    }
}
