using System.Globalization;
using Microsoft.Extensions.Options;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;

namespace Rookery.Modules.ExternalServices;

/// <summary>
/// External Service Discovery (XEP-0215): tells a host's users which STUN and TURN servers to use for Jingle calls,
/// with credentials for the restricted ones, fixed or derived per user from a secret shared with the TURN server (the
/// TURN REST API of coturn's <c>use-auth-secret</c>), as ejabberd's <c>mod_stun_disco</c> and Prosody's
/// <c>mod_turn_external</c> do. The host advertises the feature only while services are configured.
/// </summary>
[Xep(215, "1.0.0", XepStatus.Partial, Note = "Services come from configuration only; no pushes of changed services (§3.4)")]
public sealed class ExternalServicesModule(IOptions<ExternalServicesOptions> options, TimeProvider time) : IXmppModule
{
    /// <summary>The module's name in <c>DisabledModules</c>.</summary>
    public const string ModuleName = "extdisco";

    /// <summary>The XEP-0215 namespace.</summary>
    public const string Namespace = "urn:xmpp:extdisco:2";

    private readonly ExternalServicesOptions _options = options.Value;

    /// <inheritdoc />
    public string Name => ModuleName;

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // §5: the feature says that services can be asked for; a host with none to give says nothing.
        if (_options.Services.Count > 0)
        {
            builder.AddFeature(Namespace);
        }

        builder.HandleIq(IqType.Get, IqTarget.Host, Namespace, "services", OnServices);
        builder.HandleIq(IqType.Get, IqTarget.Host, Namespace, "credentials", OnCredentials);
    }

    /// <summary>§3.1, §3.2: every service, or those of the requested type, with credentials for the restricted ones.</summary>
    private ValueTask<IqResult> OnServices(IqContext iq)
    {
        RequireLocalUser(iq);
        var type = iq.Payload.GetAttribute("type");
        var result = new Element("services", Namespace);
        if (type is not null)
        {
            result.SetAttribute("type", type);
        }

        foreach (var service in _options.Services)
        {
            if (type is null || string.Equals(service.Type, type, StringComparison.OrdinalIgnoreCase))
            {
                result.Add(Describe(service, iq));
            }
        }

        return ValueTask.FromResult(IqResult.With(result));
    }

    /// <summary>§3.3: the credentials of one service, named by type and host (and port when given).</summary>
    private ValueTask<IqResult> OnCredentials(IqContext iq)
    {
        RequireLocalUser(iq);
        var request = iq.Payload.Child("service", Namespace);
        var type = request?.GetAttribute("type");
        var host = request?.GetAttribute("host");
        if (string.IsNullOrEmpty(type) || string.IsNullOrEmpty(host))
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "A credentials request names a service with its type and host");
        }

        int? port = null;
        if (request!.GetAttribute("port") is { } portText)
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "The port of the service is not a number");
            }

            port = parsed;
        }

        foreach (var service in _options.Services)
        {
            if (string.Equals(service.Type, type, StringComparison.OrdinalIgnoreCase)
                && string.Equals(service.Host, host, StringComparison.OrdinalIgnoreCase)
                && (port is null || port == service.Port))
            {
                var result = new Element("credentials", Namespace);
                result.Add(Describe(service, iq));
                return ValueTask.FromResult(IqResult.With(result));
            }
        }

        throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, "No such service is known here");
    }

    /// <summary>The services are for the host's own accounts (ejabberd's and Prosody's default access).</summary>
    private static void RequireLocalUser(IqContext iq)
    {
        if (iq.From.Local is null || !string.Equals(iq.From.Domain, iq.To.Domain, StringComparison.Ordinal))
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden, $"Only users of {iq.To.Domain} may discover its services");
        }
    }

    /// <summary>A <c>&lt;service/&gt;</c> element (§2), with the requester's credentials when it is restricted.</summary>
    private Element Describe(ExternalServiceOptions service, IqContext iq)
    {
        var element = new Element("service", Namespace)
            .SetAttribute("type", service.Type.ToLowerInvariant())
            .SetAttribute("host", service.Host)
            .SetAttribute("port", service.Port.ToString(CultureInfo.InvariantCulture))
            .SetAttribute("transport", service.EffectiveTransport);
        if (service.Name.Length > 0)
        {
            element.SetAttribute("name", service.Name);
        }

        if (!service.IsRestricted)
        {
            return element;
        }

        element.SetAttribute("restricted", "true");
        if (service.Secret.Length > 0)
        {
            // The TURN server learns nothing but the name, so the requester's bare JID there identifies who relays.
            var credentials = TurnRestCredentials.Create(service.Secret, iq.From.Bare.ToString(), CredentialExpiry());
            element.SetAttribute("username", credentials.Username)
                .SetAttribute("password", credentials.Password)
                // §2: expires is a XEP-0082 DateTime, in UTC.
                .SetAttribute("expires", credentials.Expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        }
        else
        {
            element.SetAttribute("username", service.Username).SetAttribute("password", service.Password);
        }

        return element;
    }

    /// <summary>
    /// When credentials handed out now expire: at least the configured lifetime ahead, rounded up to a 24th of it (an
    /// hour by default). Requests within one such step get the same user name and password, so a client that asks for
    /// all services and then for one type (XEP-0215 §3.2) sees the same service twice, not two that differ by a second.
    /// </summary>
    private DateTimeOffset CredentialExpiry()
    {
        var step = Math.Max(TimeSpan.TicksPerSecond, _options.CredentialLifetime.Ticks / 24);
        var earliest = (time.GetUtcNow() + _options.CredentialLifetime).UtcTicks;
        return new DateTimeOffset((earliest + step - 1) / step * step, TimeSpan.Zero);
    }
}
