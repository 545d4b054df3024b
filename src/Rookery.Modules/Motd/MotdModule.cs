using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Server.Routing;

namespace Rookery.Modules.Motd;

/// <summary>
/// Greets every session with its host's message of the day (XEP-0133 §4.24: "delivered to any user who logs in"): when
/// a resource sends its initial presence, a normal message from the host carries the text to that resource. The
/// admin commands set-motd, edit-motd and delete-motd (<see cref="MessageOfTheDay"/>) manage the text.
/// </summary>
public sealed class MotdModule(MessageOfTheDay motd, Router router) : IXmppModule
{
    /// <summary>The module's configuration name.</summary>
    public const string ModuleName = "motd";

    /// <summary>Below every hook that may stop a presence: the greeting goes only with a presence that is sent on.</summary>
    public const int HookPriority = -300;

    /// <inheritdoc />
    public string Name => ModuleName;

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Hook(HookPoint.Outbound, HookPriority, OnOutbound);
    }

    private ValueTask<HookResult> OnOutbound(StanzaHookContext context)
    {
        var element = context.Stanza.Element;
        // Initial presence (RFC 6121 §4.2): broadcast, available, from a resource that was not available yet.
        if (context.Session is not { IsAvailable: false } session || element.Name != "presence" ||
            element.GetAttribute("to") is not null || element.GetAttribute("type") is not null)
        {
            return ValueTask.FromResult(HookResult.Continue);
        }

        return GreetAsync(session.Jid, context.Cancellation);
    }

    private async ValueTask<HookResult> GreetAsync(Jid resource, CancellationToken ct)
    {
        if (await motd.GetAsync(resource.Domain, ct).ConfigureAwait(false) is { } text)
        {
            var message = new Element("message", Ns.Client).SetAttribute("type", "normal");
            message.AddChild("subject").AddText("Message of the Day");
            message.AddChild("body").AddText(text);
            await router.RouteAsync(message, Jid.Create(null, resource.Domain), resource).ConfigureAwait(false);
        }

        return HookResult.Continue;
    }
}
