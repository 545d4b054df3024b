using Rookery.Bench.Net;

namespace Rookery.Bench.Provisioning;

/// <summary>Creates accounts by XEP-0077 in-band registration, one short-lived connection per account.</summary>
internal sealed class RegistrationProvisioner(BenchOptions options) : IUserProvisioner
{
    /// <inheritdoc />
    public string Method => "register";

    /// <inheritdoc />
    public async Task<bool> ProvisionAsync(int index, string user, string domain, string password, CancellationToken ct)
    {
        var target = options.Targets[index % options.Targets.Count];
        var sources = LoopbackGuard.SourceAddresses(target.Address.AddressFamily, options.SourceAddresses);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.LoginTimeout);
        var c = await BenchConnection.ConnectAsync(index, user, target, sources[index % sources.Count], timeout.Token).ConfigureAwait(false);
        await using (c.ConfigureAwait(false))
        {
            return await XmppLogin.RegisterAsync(c, domain, options.Tls, user, password, timeout.Token).ConfigureAwait(false);
        }
    }
}
