using System.Text;

namespace Rookery.Bench.Net;

/// <summary>
/// The client side of stream negotiation (RFC 6120): stream header, optional STARTTLS, SASL (SCRAM or PLAIN), stream
/// restart, resource binding, the legacy session when a server still requires it, and initial presence (RFC 6121
/// §4.2), waiting for the server to reflect it so that "online" means the server has made the session available.
/// Also XEP-0077 in-band registration for provisioning.
/// </summary>
internal static class XmppLogin
{
    private static readonly byte[] StartTls = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"u8.ToArray();
    private static readonly byte[] InitialPresence = "<presence/>"u8.ToArray();

    /// <summary>Logs in; returns the bound full JID. Failures are <see cref="XmppLoginException"/>.</summary>
    public static async Task<string> LoginAsync(BenchConnection c, LoginSettings s, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(s);
        var features = await NegotiateTransportAsync(c, s.Domain, s.Tls, ct).ConfigureAwait(false);
        var mechanisms = XmlSpan.DescendantTexts(features, "mechanism"u8);
        if (!mechanisms.Contains(s.Mechanism))
        {
            var hint = s.Mechanism == "PLAIN" && !s.Tls ? "; servers offer PLAIN only over TLS: add --tls" : string.Empty;
            throw new XmppLoginException("mechanism-not-offered", $"The server does not offer {s.Mechanism} (offers: {string.Join(' ', mechanisms)}){hint}");
        }

        await AuthenticateAsync(c, s, ct).ConfigureAwait(false);
        c.RestartStream();
        await c.SendNowAsync(Header(s.Domain), ct).ConfigureAwait(false);
        features = await ExpectAsync(c, "features"u8, ct).ConfigureAwait(false);

        var jid = await BindAsync(c, s.Resource, ct).ConfigureAwait(false);
        if (XmlSpan.HasDescendant(features, "session"u8) && !XmlSpan.HasDescendant(features, "optional"u8))
        {
            // RFC 3921 §3: a server that still requires session establishment gets it.
            await c.SendNowAsync("<iq type='set' id='sess'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>"u8.ToArray(), ct).ConfigureAwait(false);
            await ExpectIqResultAsync(c, "sess"u8, ct).ConfigureAwait(false);
        }

        c.Jid = jid;
        await c.SendNowAsync(InitialPresence, ct).ConfigureAwait(false);
        // RFC 6121 §4.2.2: the server sends the initial presence back to the resource that sent it.
        while (true)
        {
            var e = await c.ReadElementAsync(ct).ConfigureAwait(false);
            if (!XmlSpan.IsNamed(e, "presence"u8))
            {
                continue;
            }

            if (XmlSpan.TryGetAttribute(e, "type"u8, out var type) && type.SequenceEqual("error"u8))
            {
                throw new XmppLoginException("presence-error", "Initial presence bounced: " + XmlSpan.ErrorCondition(e));
            }

            if (type.IsEmpty && XmlSpan.Attribute(e, "from"u8) == jid)
            {
                return jid;
            }
        }
    }

    /// <summary>
    /// XEP-0077 §3.1: registers <paramref name="user"/> on a fresh stream. Returns false when the account exists
    /// already (conflict); throws <see cref="XmppLoginException"/> on any other failure.
    /// </summary>
    public static async Task<bool> RegisterAsync(BenchConnection c, string domain, bool tls, string user, string password, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(c);
        var features = await NegotiateTransportAsync(c, domain, tls, ct).ConfigureAwait(false);
        if (!XmlSpan.HasDescendant(features, "register"u8))
        {
            throw new XmppLoginException("registration-not-offered", "The server does not advertise in-band registration (XEP-0077) on this stream");
        }

        var iq = $"<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>{XmlSpan.Escape(user)}</username><password>{XmlSpan.Escape(password)}</password></query></iq>";
        await c.SendNowAsync(Encoding.UTF8.GetBytes(iq), ct).ConfigureAwait(false);
        while (true)
        {
            var e = await c.ReadElementAsync(ct).ConfigureAwait(false);
            if (!XmlSpan.IsNamed(e, "iq"u8) || !XmlSpan.TryGetAttribute(e, "id"u8, out var id) || !id.SequenceEqual("reg"u8))
            {
                continue;
            }

            XmlSpan.TryGetAttribute(e, "type"u8, out var type);
            if (type.SequenceEqual("result"u8))
            {
                return true;
            }

            var condition = XmlSpan.ErrorCondition(e);
            if (condition == "conflict")
            {
                return false;
            }

            throw new XmppLoginException("register:" + condition, "Registration failed: " + condition);
        }
    }

    /// <summary>The opening stream header for <paramref name="domain"/>.</summary>
    public static byte[] Header(string domain) => Encoding.UTF8.GetBytes(
        $"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='{XmlSpan.Escape(domain)}' version='1.0'>");

    private static async Task<byte[]> NegotiateTransportAsync(BenchConnection c, string domain, bool tls, CancellationToken ct)
    {
        await c.SendNowAsync(Header(domain), ct).ConfigureAwait(false);
        var features = await ExpectAsync(c, "features"u8, ct).ConfigureAwait(false);
        var offersTls = XmlSpan.HasDescendant(features, "starttls"u8);
        if (tls)
        {
            if (!offersTls)
            {
                throw new XmppLoginException("no-starttls", "The server does not offer STARTTLS");
            }

            await c.SendNowAsync(StartTls, ct).ConfigureAwait(false);
            var answer = await c.ReadElementAsync(ct).ConfigureAwait(false);
            if (!XmlSpan.IsNamed(answer, "proceed"u8))
            {
                throw new XmppLoginException("starttls-failed", "STARTTLS was refused");
            }

            await c.StartTlsAsync(domain, ct).ConfigureAwait(false);
            await c.SendNowAsync(Header(domain), ct).ConfigureAwait(false);
            features = await ExpectAsync(c, "features"u8, ct).ConfigureAwait(false);
        }
        else if (offersTls && XmlSpan.HasDescendant(features, "required"u8))
        {
            throw new XmppLoginException("tls-required", "The server requires TLS: add --tls");
        }

        return features;
    }

    private static async Task AuthenticateAsync(BenchConnection c, LoginSettings s, CancellationToken ct)
    {
        var user = c.User;
        if (s.Mechanism == "PLAIN")
        {
            var payload = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0" + user + "\0" + s.Password));
            await c.SendNowAsync(Encoding.UTF8.GetBytes($"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{payload}</auth>"), ct).ConfigureAwait(false);
            var outcome = await c.ReadElementAsync(ct).ConfigureAwait(false);
            ThrowUnlessSuccess(outcome);
            return;
        }

        var scram = new ScramClient(s.Mechanism, user, s.Password, s.Keys);
        await c.SendNowAsync(Encoding.UTF8.GetBytes($"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='{s.Mechanism}'>{Convert.ToBase64String(scram.ClientFirst())}</auth>"), ct).ConfigureAwait(false);
        var challenge = await c.ReadElementAsync(ct).ConfigureAwait(false);
        if (!XmlSpan.IsNamed(challenge, "challenge"u8))
        {
            ThrowUnlessSuccess(challenge);
            throw new XmppLoginException("bad-sasl", "SASL success without a challenge");
        }

        var final = scram.ClientFinal(DecodeSasl(challenge));
        await c.SendNowAsync(Encoding.UTF8.GetBytes($"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{Convert.ToBase64String(final)}</response>"), ct).ConfigureAwait(false);
        var result = await c.ReadElementAsync(ct).ConfigureAwait(false);
        if (XmlSpan.IsNamed(result, "challenge"u8))
        {
            // RFC 6120 §6.3.10 allows the server-final message in a challenge, then an empty success.
            if (!scram.VerifyServerFinal(DecodeSasl(result)))
            {
                throw new XmppLoginException("bad-server-signature", "The server's SCRAM signature is wrong");
            }

            await c.SendNowAsync("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"u8.ToArray(), ct).ConfigureAwait(false);
            result = await c.ReadElementAsync(ct).ConfigureAwait(false);
            ThrowUnlessSuccess(result);
            return;
        }

        ThrowUnlessSuccess(result);
        if (!scram.VerifyServerFinal(DecodeSasl(result)))
        {
            throw new XmppLoginException("bad-server-signature", "The server's SCRAM signature is wrong");
        }
    }

    private static async Task<string> BindAsync(BenchConnection c, string resource, CancellationToken ct)
    {
        await c.SendNowAsync(Encoding.UTF8.GetBytes($"<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>{XmlSpan.Escape(resource)}</resource></bind></iq>"), ct).ConfigureAwait(false);
        var result = await ExpectIqResultAsync(c, "bind"u8.ToArray(), ct).ConfigureAwait(false);
        return XmlSpan.DescendantText(result, "jid"u8) ?? throw new XmppLoginException("bind-failed", "The bind result has no JID");
    }

    private static async Task<byte[]> ExpectIqResultAsync(BenchConnection c, byte[] id, CancellationToken ct)
    {
        while (true)
        {
            var e = await c.ReadElementAsync(ct).ConfigureAwait(false);
            if (!XmlSpan.IsNamed(e, "iq"u8) || !XmlSpan.TryGetAttribute(e, "id"u8, out var got) || !got.SequenceEqual(id))
            {
                continue;
            }

            XmlSpan.TryGetAttribute(e, "type"u8, out var type);
            if (!type.SequenceEqual("result"u8))
            {
                throw new XmppLoginException(Encoding.UTF8.GetString(id) + "-failed", $"{Encoding.UTF8.GetString(id)} failed: {XmlSpan.ErrorCondition(e)}");
            }

            return e;
        }
    }

    private static Task<byte[]> ExpectIqResultAsync(BenchConnection c, ReadOnlySpan<byte> id, CancellationToken ct) => ExpectIqResultAsync(c, id.ToArray(), ct);

    private static async Task<byte[]> ExpectAsync(BenchConnection c, byte[] name, CancellationToken ct)
    {
        var e = await c.ReadElementAsync(ct).ConfigureAwait(false);
        if (!XmlSpan.IsNamed(e, name))
        {
            throw new XmppLoginException("unexpected-element", $"Expected <{Encoding.UTF8.GetString(name)}>, got <{Encoding.UTF8.GetString(XmlSpan.LocalName(e))}>");
        }

        return e;
    }

    private static Task<byte[]> ExpectAsync(BenchConnection c, ReadOnlySpan<byte> name, CancellationToken ct) => ExpectAsync(c, name.ToArray(), ct);

    private static void ThrowUnlessSuccess(byte[] element)
    {
        if (XmlSpan.IsNamed(element, "success"u8))
        {
            return;
        }

        if (XmlSpan.IsNamed(element, "failure"u8))
        {
            var condition = FirstChildName(element);
            throw new XmppLoginException(condition, "SASL failure: " + condition);
        }

        throw new XmppLoginException("unexpected-element", $"Expected SASL success, got <{Encoding.UTF8.GetString(XmlSpan.LocalName(element))}>");
    }

    private static string FirstChildName(byte[] element)
    {
        var span = element.AsSpan();
        var gt = XmlSpan.FindTagEnd(span, 1);
        var lt = gt < 0 ? -1 : span[(gt + 1)..].IndexOf((byte)'<');
        if (lt < 0 || span[gt + 1 + lt + 1] == (byte)'/')
        {
            return "failure";
        }

        return Encoding.UTF8.GetString(XmlSpan.LocalName(span[(gt + 1 + lt)..]));
    }

    private static byte[] DecodeSasl(byte[] element)
    {
        var gt = XmlSpan.FindTagEnd(element, 1);
        if (gt < 0 || element[gt - 1] == (byte)'/')
        {
            return [];
        }

        var text = Encoding.ASCII.GetString(XmlSpan.TextAt(element, 0)).Trim();
        return text.Length == 0 || text == "=" ? [] : Convert.FromBase64String(text);
    }
}
