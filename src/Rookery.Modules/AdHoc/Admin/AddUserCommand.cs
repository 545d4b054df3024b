using Rookery.Protocol.Errors;
using Rookery.Server.Auth;
using Rookery.Server.Hosts;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>XEP-0133 §4.1 Add User: creates an account with <see cref="AccountService"/>, as <c>rookery user add</c> does.</summary>
internal sealed class AddUserCommand(HostRegistry hosts, AccountService accounts) : AdminCommand(hosts, "add-user", "Add a User")
{
    public override async ValueTask<AdHocStep> ExecuteAsync(AdHocRequest request)
    {
        if (request.Stage == 0)
        {
            var form = NewForm(instructions: "Fill out this form to add a user.");
            form.AddField("accountjid", "jid-single", "The Jabber ID for the account to be added", required: true);
            form.AddField("password", "text-private", "The password for this account", required: true);
            form.AddField("password-verify", "text-private", "Retype password", required: true);
            return AdHocStep.Ask(form);
        }

        var submitted = Submitted(request);
        var account = Account(submitted.Value("accountjid"), request.Host, "accountjid");
        var password = submitted.Value("password");
        if (password is null)
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "A password is required");
        }

        if (submitted.Find("password-verify") is not null && submitted.Value("password-verify") != password)
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "The passwords do not match");
        }

        if (!await accounts.CreateAsync(account, password, request.Cancellation).ConfigureAwait(false))
        {
            throw new StanzaErrorException(StanzaErrorCondition.Conflict, $"{account} already exists");
        }

        return AdHocStep.Completed(note: $"Created {account}");
    }
}
