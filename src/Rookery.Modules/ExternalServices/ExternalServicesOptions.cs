namespace Rookery.Modules.ExternalServices;

/// <summary>Settings of the <c>extdisco</c> module (configuration section <c>Modules:ExternalServices</c>).</summary>
public sealed class ExternalServicesOptions
{
    /// <summary>The default of <see cref="CredentialLifetime"/>: one day, as ejabberd's and Prosody's.</summary>
    public static readonly TimeSpan DefaultCredentialLifetime = TimeSpan.FromDays(1);

    /// <summary>
    /// The STUN and TURN servers announced to each host's users (XEP-0215). Default: none, and then the module
    /// advertises nothing in disco#info.
    /// </summary>
    public List<ExternalServiceOptions> Services { get; init; } = [];

    /// <summary>
    /// How long TURN REST API credentials (services with a <c>Secret</c>) stay valid after they are handed out, at least:
    /// the expiry is rounded up to a 24th of it (an hour by default), so that requests close together get the same
    /// credentials. Default one day; from one minute to 30 days.
    /// </summary>
    public TimeSpan CredentialLifetime { get; init; } = DefaultCredentialLifetime;

    /// <summary>Checks the settings; yields each problem with its key relative to <c>Modules:ExternalServices</c>.</summary>
    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (CredentialLifetime < TimeSpan.FromMinutes(1) || CredentialLifetime > TimeSpan.FromDays(30))
        {
            yield return (nameof(CredentialLifetime), "must be between 00:01:00 (one minute) and 30.00:00:00 (30 days)");
        }

        for (var i = 0; i < Services.Count; i++)
        {
            foreach (var (key, problem) in Services[i].Validate())
            {
                yield return ($"{nameof(Services)}:{i}:{key}", problem);
            }
        }
    }
}
