using Rookery.Protocol.Errors;
using Rookery.Server.Auth;
using Rookery.Server.Hosts;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>XEP-0133 §4.7 Change User Password: sets new SCRAM keys with <see cref="AccountService"/>, as <c>rookery user passwd</c> does.</summary>
internal sealed class ChangeUserPasswordCommand(HostRegistry hosts, AccountService accounts) : AdminCommand(hosts, "change-user-password", "Change User Password")
{
    public override async ValueTask<AdHocStep> ExecuteAsync(AdHocRequest request)
    {
        if (request.Stage == 0)
        {
            var form = NewForm(instructions: "Fill out this form to change a user's password.");
            form.AddField("accountjid", "jid-single", "The Jabber ID for this account", required: true);
            form.AddField("password", "text-private", "The password for this account", required: true);
            return AdHocStep.Ask(form);
        }

        var submitted = Submitted(request);
        var account = Account(submitted.Value("accountjid"), request.Host, "accountjid");
        var password = submitted.Value("password") ?? throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "A password is required");
        if (!await accounts.SetPasswordAsync(account, password, request.Cancellation).ConfigureAwait(false))
        {
            throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, $"{account} does not exist");
        }

        return AdHocStep.Completed(note: $"Changed the password of {account}");
    }
}
