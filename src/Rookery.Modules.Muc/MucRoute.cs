using Rookery.Protocol.Errors;
using Rookery.Server.Routing;

namespace Rookery.Modules.Muc;

/// <summary>
/// The route-table entry of an in-process MUC service: stanzas for its domain go to <see cref="MucService.HandleAsync"/>.
/// On a cluster (<paramref name="directory"/> set), a stanza for a room goes to the node hosting that room: handled here
/// when this node hosts (or has just claimed) it, else forwarded over the node link.
/// </summary>
public sealed class MucRoute(MucService service, IMucRoomDirectory? directory = null) : IStanzaRoute
{
    /// <summary>Locate attempts before a stanza for a room whose host keeps vanishing is refused.</summary>
    private const int MaxAttempts = 5;

    /// <summary>The service behind the route.</summary>
    public MucService Service => service;

    /// <inheritdoc />
    public async ValueTask RouteAsync(Stanza stanza)
    {
        if (directory is null || stanza.To.Local is null)
        {
            // Single node, or the service itself (disco, search): any node answers.
            await service.HandleAsync(stanza.Element, stanza.From, stanza.To);
            return;
        }

        var room = stanza.To.Bare;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var host = await directory.LocateAsync(room);
            if (host == directory.LocalNodeId)
            {
                await service.HandleAsync(stanza.Element, stanza.From, stanza.To);
                return;
            }

            if (directory.Forward(host, stanza.Element, stanza.From, stanza.To))
            {
                return;
            }

            // The host is gone: locate again (LocateAsync waits until a survivor has taken the room over).
            directory.Forget(room);
        }

        await service.BounceFromServiceAsync(stanza.Element, stanza.From, stanza.To, StanzaErrorCondition.RecipientUnavailable, "The room's host is unavailable; try again");
    }
}
