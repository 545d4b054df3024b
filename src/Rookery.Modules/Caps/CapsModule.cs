using Rookery.Protocol.Xml;
using Rookery.Server.Modules;

namespace Rookery.Modules.Caps;

/// <summary>
/// Entity capabilities (XEP-0115) on the server side: reads the caps element of the presence each local resource
/// broadcasts and has <see cref="EntityCapabilities"/> learn and verify the features behind it, so that PEP (XEP-0163
/// §4.3.1) can send notifications to the resources that asked for them with <c>node+notify</c>.
/// </summary>
[Xep(115, "1.6.0", XepStatus.Partial, Note = "Caps of resources on this node are tracked and verified (SHA-1/256/512, legacy caps ignored); the server announces its own caps in stream features (disco module)")]
public sealed class CapsModule(EntityCapabilities capabilities) : IXmppModule
{
    /// <summary>
    /// The priority of the module's hooks: after every hook that may stop a presence (blocking), so that only presence
    /// that goes out is recorded.
    /// </summary>
    public const int HookPriority = -200;

    /// <summary>The name a host's configuration uses for this module.</summary>
    public const string ModuleName = "caps";

    private static ValueTask<HookResult> Continue => new(HookResult.Continue);

    /// <inheritdoc />
    public string Name => ModuleName;

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Hook(HookPoint.Outbound, HookPriority, OnOutbound);
        // Above the blocking hook (1000): the answers to the server's own queries are never anyone's to block or archive.
        builder.Hook(HookPoint.Inbound, 2000, OnInbound);
    }

    private ValueTask<HookResult> OnOutbound(StanzaHookContext context)
    {
        var element = context.Stanza.Element;
        // Broadcast presence only (RFC 6121 §4.2, §4.5): directed presence says nothing about the resource's interests.
        if (context.Session is not { } session || element.Name != "presence" || element.GetAttribute("to") is not null ||
            element.GetAttribute("type") is not (null or "unavailable"))
        {
            return Continue;
        }

        return Record(session, element, context.Cancellation);
    }

    private async ValueTask<HookResult> Record(Server.Sessions.ILocalClientSession session, Element presence, CancellationToken ct)
    {
        await capabilities.PresenceAsync(session, presence, ct).ConfigureAwait(false);
        return HookResult.Continue;
    }

    private async ValueTask<HookResult> OnInbound(StanzaHookContext context)
    {
        if (!context.Stanza.IsIq || !context.Stanza.To.IsBare)
        {
            return HookResult.Continue;
        }

        return await capabilities.TryCompleteAsync(context.Stanza, context.Cancellation).ConfigureAwait(false)
            ? HookResult.Handled
            : HookResult.Continue;
    }
}
