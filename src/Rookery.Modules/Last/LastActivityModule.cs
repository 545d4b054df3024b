using System.Globalization;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Server.Sessions;
using Rookery.Storage;

namespace Rookery.Modules.Last;

/// <summary>
/// Last Activity (XEP-0012): asked of the host, the server's uptime; asked of an account's bare JID, the seconds since
/// the user's last logout and its status text (0 while a resource is available), for the user and for contacts allowed
/// to see the user's presence. The logouts are recorded by the presence manager.
/// </summary>
[Xep(12, "2.0", XepStatus.Partial, Note = "Idle time of full JIDs is the clients' to answer")]
public sealed class LastActivityModule(ILastActivityStore store, IRosterStore rosters, SessionTable sessions, TimeProvider time) : IXmppModule
{
    /// <summary>The XEP-0012 namespace.</summary>
    public const string Namespace = "jabber:iq:last";

    // Created with the module registry, when the node starts.
    private readonly long _started = time.GetTimestamp();

    /// <inheritdoc />
    public string Name => "last";

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddFeature(Namespace);
        builder.HandleIq(IqType.Get, IqTarget.Host | IqTarget.Bare, Namespace, "query", OnLastAsync);
    }

    private async ValueTask<IqResult> OnLastAsync(IqContext iq)
    {
        if (iq.To.Local is null)
        {
            // §6: to a server, the seconds it has been up, with no character data.
            return Result((long)time.GetElapsedTime(_started).TotalSeconds, null);
        }

        var owner = iq.To.Bare;
        if (!iq.IsSelf)
        {
            // §4 and §9: only entities allowed to see the user's presence, normally by a 'from' or 'both' subscription.
            var item = await rosters.GetItemAsync(owner.ToString(), iq.From.Bare.ToString(), iq.Cancellation).ConfigureAwait(false);
            if (item is null || (item.Subscription & Subscription.From) == 0)
            {
                throw new StanzaErrorException(StanzaErrorCondition.Forbidden);
            }
        }

        // §4: a user with an available resource has been active just now.
        foreach (var s in sessions.Sessions(owner))
        {
            if (s.IsAvailable)
            {
                return Result(0, null);
            }
        }

        var last = await store.GetAsync(owner.ToString(), iq.Cancellation).ConfigureAwait(false)
            ?? throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, "No logout has been recorded for this user");
        var seconds = (long)Math.Floor((time.GetUtcNow() - last.Stamp).TotalSeconds);
        return Result(Math.Max(0, seconds), last.Status);
    }

    private static IqResult Result(long seconds, string? status)
    {
        var query = new Element("query", Namespace).SetAttribute("seconds", seconds.ToString(CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(status))
        {
            query.AddText(status);
        }

        return IqResult.With(query);
    }
}
