using Rookery.Modules.DataForms;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Server.Hosts;

namespace Rookery.Modules.AdHoc.Admin;

/// <summary>
/// A service administration command (XEP-0133): runnable by the host's admins (<c>Hosts:&lt;domain&gt;:Admins</c> and the
/// global <c>Admins</c>) on accounts of that host only; its forms carry the admin FORM_TYPE (§8.2).
/// </summary>
internal abstract class AdminCommand(HostRegistry hosts, string name, string title) : IAdHocCommand
{
    /// <summary>The FORM_TYPE of XEP-0133 forms.</summary>
    public const string FormType = "http://jabber.org/protocol/admin";

    /// <summary>
    /// XEP-0133 commands Rookery cannot offer, with the reason: asking for one is feature-not-implemented rather than
    /// item-not-found, so that an admin learns why. They are not listed in the command list.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Unavailable { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        // Only SCRAM keys (RFC 5802 StoredKey and ServerKey) are stored: the password cannot be recovered from them.
        [FormType + "#get-user-password"] = "Passwords are stored only as SCRAM keys and cannot be retrieved; use change-user-password",
        [FormType + "#get-user-lastlogin"] = "Login times are not recorded",
    };

    public string Node => FormType + "#" + name;

    public string Name => title;

    public bool MayExecute(Jid requester, string host) => hosts.IsAdmin(requester, host);

    public abstract ValueTask<AdHocStep> ExecuteAsync(AdHocRequest request);

    /// <summary>A new form of type <paramref name="type"/> with the admin FORM_TYPE and this command's title.</summary>
    protected DataForm NewForm(string type = "form", string? instructions = null) =>
        new DataForm(type) { Title = title, Instructions = instructions }.WithFormType(FormType);

    /// <summary>
    /// Reads an account JID from a field value: it must be a bare user JID (jid-malformed otherwise) of the host the
    /// command runs on (forbidden otherwise: admins of one host do not manage another's accounts).
    /// </summary>
    protected static Jid Account(string? value, string host, string field, bool allowFull = false)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, $"The field '{field}' is required");
        }

        if (!Jid.TryParse(value.Trim(), out var jid) || jid.Local is null || (!allowFull && !jid.IsBare))
        {
            throw new StanzaErrorException(StanzaErrorCondition.JidMalformed, $"'{value}' is not an account JID (user@{host})");
        }

        if (jid.Domain != host)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden, $"{jid} is not an account of {host}");
        }

        return jid;
    }

    /// <summary>Every account named in a jid-multi field, checked with <see cref="Account"/>; at least one is required.</summary>
    protected static List<Jid> Accounts(DataForm form, string host, string field, bool allowFull = false)
    {
        var accounts = new List<Jid>();
        foreach (var value in form.Values(field))
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                accounts.Add(Account(value, host, field, allowFull));
            }
        }

        if (accounts.Count == 0)
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, $"The field '{field}' is required");
        }

        return accounts;
    }

    /// <summary>The submitted form, which every stage after the first has (the module checks it is present).</summary>
    protected static DataForm Submitted(AdHocRequest request) => request.Form!;
}
