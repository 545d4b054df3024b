using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Server.Sessions;

namespace Rookery.Server.Auth;

/// <summary>
/// In-band registration for signed-in users (XEP-0077 §3.2–3.3): password change and account removal. Registration
/// of new accounts happens before authentication, in the client stream, under <see cref="RegistrationService"/>.
/// </summary>
[Xep(77, "2.4")]
public sealed class RegisterModule(AccountService accounts, SessionTable sessions) : IXmppModule
{
    /// <summary>The module's configuration name.</summary>
    public const string ModuleName = "register";

    private const string RegisterNs = "jabber:iq:register";

    /// <inheritdoc />
    public string Name => ModuleName;

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddFeature(RegisterNs);
        builder.HandleIq(IqType.Get, IqTarget.Host | IqTarget.Bare, RegisterNs, "query", Get);
        builder.HandleIq(IqType.Set, IqTarget.Host | IqTarget.Bare, RegisterNs, "query", SetAsync);
    }

    private static ValueTask<IqResult> Get(IqContext iq)
    {
        RequireSelf(iq);
        var query = new Element("query", RegisterNs);
        query.AddChild("registered");
        query.AddChild("username").AddText(iq.From.Local!);
        query.AddChild("password");
        return ValueTask.FromResult(IqResult.With(query));
    }

    private async ValueTask<IqResult> SetAsync(IqContext iq)
    {
        RequireSelf(iq);
        var account = iq.From.Bare;
        if (iq.Payload.Child("remove", RegisterNs) is not null)
        {
            await accounts.DeleteAsync(account, iq.Cancellation).ConfigureAwait(false);
            // XEP-0077 §3.2: the account is gone, so are its sessions; the result is queued before the stream closes.
            iq.Session?.Send(new Element("iq", Ns.Client).SetAttribute("type", "result").SetAttribute("id", iq.Stanza.GetAttribute("id")).SetAttribute("to", iq.From.ToString()));
            foreach (var s in sessions.Sessions(account))
            {
                s.Close(StreamErrorCondition.NotAuthorized, "The account was removed");
            }

            return IqResult.Empty;
        }

        var username = iq.Payload.ChildText("username", RegisterNs);
        var password = iq.Payload.ChildText("password", RegisterNs);
        if (password is null || string.IsNullOrEmpty(password))
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "A new password is required");
        }

        if (username is not null && !string.Equals(AccountService.Normalize(username, account.Domain).Local, account.Local, StringComparison.Ordinal))
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAuthorized, "Only your own password can be changed");
        }

        await accounts.SetPasswordAsync(account, password, iq.Cancellation).ConfigureAwait(false);
        return IqResult.Empty;
    }

    private static void RequireSelf(IqContext iq)
    {
        // Addressed to the host or to the user's own bare JID, always by the user about their own account.
        if (iq.From.Local is null || (iq.To.Local is not null && !iq.IsSelf))
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden);
        }
    }
}
