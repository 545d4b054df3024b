using Microsoft.Extensions.Logging;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;
using Rookery.Storage;

namespace Rookery.Modules.Mam;

/// <summary>
/// The archiving hooks: a message a local account receives goes into its archive before delivery or offline storage
/// and carries its archive id as a <c>&lt;stanza-id/&gt;</c> (XEP-0313 §3.3, XEP-0359); a message a local client sends
/// goes into the sender's archive before it is routed. Writes go through the node's <see cref="MamArchiveWriter"/>, which
/// commits the entries of all streams in shared transactions. Which messages: XEP-0313 §5.1.1 and the hints of XEP-0334.
/// </summary>
internal sealed partial class MamArchiver(
    IMessageArchiveStore store,
    MamArchiveWriter writer,
    MamPreferences preferences,
    IAccountStore accounts,
    SessionTable sessions,
    ArchiveIdGenerator ids,
    TimeProvider time,
    ILogger logger)
{
    /// <summary>The XEP-0359 namespace.</summary>
    public const string StanzaIdNamespace = "urn:xmpp:sid:0";

    /// <summary>The message processing hints namespace (XEP-0334).</summary>
    public const string HintsNamespace = "urn:xmpp:hints";

    /// <summary>Inbound hook: archives a message for the local account it is addressed to and stamps its stanza-id.</summary>
    public ValueTask<HookResult> InboundAsync(StanzaHookContext context)
    {
        // Runs for every stanza to a local account: no allocation for those that are not messages.
        return context.Stanza.IsMessage ? ArchiveIncomingAsync(context.Stanza, context.Cancellation) : ValueTask.FromResult(HookResult.Continue);
    }

    /// <summary>Outbound hook: archives a message a local client sent in the sender's archive.</summary>
    public ValueTask<HookResult> OutboundAsync(StanzaHookContext context)
    {
        var stanza = context.Stanza;
        // A message to the sender's own account is archived once, by the inbound hook (XEP-0313 §5.1.1).
        return stanza.IsMessage && IsArchivable(stanza.Element) && stanza.To.Bare != stanza.From.Bare
            ? ArchiveOutgoingAsync(stanza, context.Cancellation)
            : ValueTask.FromResult(HookResult.Continue);
    }

    /// <summary>
    /// XEP-0313 §5.1.1: messages of type normal or chat with a body; never errors or groupchat (user archives here keep
    /// no groupchat messages). XEP-0334 §4: no-store and no-permanent-store keep a message out; store takes in one that
    /// would otherwise stay out (no body, or a headline).
    /// </summary>
    internal static bool IsArchivable(Element message)
    {
        var type = message.GetAttribute("type");
        if (type is "error" or "groupchat")
        {
            return false;
        }

        var hasBody = false;
        var storeHint = false;
        foreach (var node in message.Nodes)
        {
            if (node is not Element child)
            {
                continue;
            }

            if (child.Namespace == HintsNamespace)
            {
                if (child.Name is "no-store" or "no-permanent-store")
                {
                    return false;
                }

                storeHint |= child.Name == "store";
            }
            else if (child.Name == "body" && child.Namespace == message.Namespace)
            {
                hasBody = true;
            }
        }

        return storeHint || (hasBody && type is null or "normal" or "chat");
    }

    private async ValueTask<HookResult> ArchiveIncomingAsync(Stanza stanza, CancellationToken ct)
    {
        var element = stanza.Element;
        var owner = stanza.To.Bare;
        var ownerText = owner.ToString();
        try
        {
            var claimed = OwnStanzaId(element, ownerText);
            if (claimed is not null && await IsAlreadyArchivedAsync(ownerText, claimed, stanza.From, ct).ConfigureAwait(false))
            {
                // A message of this archive routed again (stream management hands unacknowledged messages back to the
                // session manager): it is archived already and keeps its id.
                return HookResult.Continue;
            }

            // XEP-0359 §3: a stanza-id claiming to be by this archive was not set by it; whoever sent it must not be able
            // to make the recipient believe in a forged archive id, archived or not.
            if (claimed is not null)
            {
                RemoveOwnStanzaIds(element, ownerText);
            }

            if (!IsArchivable(element) ||
                !await preferences.ShouldArchiveAsync(owner, stanza.From, ct).ConfigureAwait(false) ||
                !await ExistsAsync(owner, ct).ConfigureAwait(false))
            {
                return HookResult.Continue;
            }

            var id = ids.Next();
            var message = new ArchivedMessage(id, stanza.From.Bare.ToString(), stanza.From.Resource, time.GetUtcNow(), ArchiveDirection.Incoming, element.ToString());
            await writer.AppendAsync(ownerText, message, ct).ConfigureAwait(false);
            // XEP-0313 §3.3: the recipient learns where the message is archived; 'by' is the archive's address.
            element.AddChild("stanza-id", StanzaIdNamespace).SetAttribute("id", id).SetAttribute("by", ownerText);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The message is still delivered: losing its archive copy is better than losing the message.
            Log.ArchiveFailed(logger, e, "incoming", ownerText);
        }

        return HookResult.Continue;
    }

    private async ValueTask<HookResult> ArchiveOutgoingAsync(Stanza stanza, CancellationToken ct)
    {
        var owner = stanza.From.Bare;
        var ownerText = owner.ToString();
        try
        {
            // §2.3.2 of XEP-0441: for outgoing messages the 'to' decides.
            if (await preferences.ShouldArchiveAsync(owner, stanza.To, ct).ConfigureAwait(false))
            {
                // The stored copy is the message as routed, origin-id (XEP-0359 §3.2) and all.
                var message = new ArchivedMessage(ids.Next(), stanza.To.Bare.ToString(), stanza.To.Resource, time.GetUtcNow(), ArchiveDirection.Outgoing, stanza.Element.ToString());
                await writer.AppendAsync(ownerText, message, ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            Log.ArchiveFailed(logger, e, "outgoing", ownerText);
        }

        return HookResult.Continue;
    }

    /// <summary>The id of the first stanza-id whose 'by' is the owner's bare JID, or null.</summary>
    private static string? OwnStanzaId(Element message, string owner)
    {
        foreach (var node in message.Nodes)
        {
            if (node is Element { Name: "stanza-id", Namespace: StanzaIdNamespace } sid && IsBy(sid, owner))
            {
                return sid.GetAttribute("id") ?? string.Empty;
            }
        }

        return null;
    }

    private static void RemoveOwnStanzaIds(Element message, string owner)
    {
        for (var i = message.Nodes.Count - 1; i >= 0; i--)
        {
            if (message.Nodes[i] is Element { Name: "stanza-id", Namespace: StanzaIdNamespace } sid && IsBy(sid, owner))
            {
                message.Remove(sid);
            }
        }
    }

    /// <summary>Whether a stanza-id's 'by' names the owner, however the sender wrote the JID (case, bare or not prepped).</summary>
    private static bool IsBy(Element stanzaId, string owner)
    {
        var by = stanzaId.GetAttribute("by");
        return by is not null && (by == owner || (Jid.TryParse(by, out var jid) && jid.IsBare && jid.ToString() == owner));
    }

    /// <summary>Whether the owner's archive holds <paramref name="id"/> for a message with the same sender.</summary>
    private async ValueTask<bool> IsAlreadyArchivedAsync(string owner, string id, Jid from, CancellationToken ct)
    {
        if (id.Length != ArchiveIdGenerator.Length)
        {
            return false;
        }

        var page = await store.QueryAsync(owner, new ArchiveQuery { Ids = [id], Max = 1 }, ct).ConfigureAwait(false);
        return page is { Items.Count: 1 } && page.Items[0].With == from.Bare.ToString();
    }

    /// <summary>Whether the account exists: a message for a missing one is bounced after the hooks, never archived.</summary>
    private async ValueTask<bool> ExistsAsync(Jid owner, CancellationToken ct) =>
        sessions.Sessions(owner).Length > 0 || await accounts.ExistsAsync(owner.Domain, owner.Local!, ct).ConfigureAwait(false);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1300, Level = LogLevel.Error, Message = "Archiving an {Direction} message of {Owner} failed; it is delivered unarchived")]
        public static partial void ArchiveFailed(ILogger logger, Exception e, string direction, string owner);
    }
}
