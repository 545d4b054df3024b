using System.Diagnostics;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Sasl;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Streams;

/// <summary>Shared steps of the stream tests: stream-error endings, SASL outcomes and raw SCRAM exchanges.</summary>
internal static class StreamAssert
{
    /// <summary>How long a test waits for the server to close a stream after its error.</summary>
    public static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The stream header as a client opens it; each part can be replaced to build a bad header.</summary>
    public static string Header(string? to = "localhost", string? version = "1.0", string contentNs = "jabber:client") =>
        "<?xml version='1.0'?><stream:stream xmlns='" + contentNs + "' xmlns:stream='http://etherx.jabber.org/streams'"
        + (to is null ? string.Empty : $" to='{to}'")
        + (version is null ? string.Empty : $" version='{version}'")
        + ">";

    /// <summary>
    /// RFC 6120 §4.9.1.1: a stream error is followed by the closing tag and the end of the connection. Asserts the
    /// condition, that the closing tag came, and that the connection then ended.
    /// </summary>
    public static async Task ExpectStreamErrorAndCloseAsync(this RawXmppClient client, StreamErrorCondition expected)
    {
        var condition = await client.ExpectStreamErrorAsync(CloseTimeout);
        condition.Should().Be(expected);
        await client.Closed.WaitAsync(CloseTimeout);
        client.StreamEndReceived.Should().BeTrue("the stream error must be followed by </stream:stream>");
    }

    /// <summary>Asserts a SASL <c>&lt;failure/&gt;</c> with exactly this condition.</summary>
    public static void ShouldBeSaslFailure(this Element e, SaslFailure failure)
    {
        e.Name.Should().Be("failure", "got {0}", e);
        e.Namespace.Should().Be(Ns.Sasl);
        e.Elements().Select(c => (c.Name, c.Namespace)).Should().Equal((failure.ToWireName(), Ns.Sasl));
    }

    /// <summary>Asserts a stanza error reply with this condition and the type RFC 6120 §8.3.3 gives it.</summary>
    public static void ShouldBeStanzaError(this Element e, StanzaErrorCondition condition)
    {
        e.GetAttribute("type").Should().Be("error", "got {0}", e);
        var error = e.Child("error", Ns.Client);
        error.Should().NotBeNull("got {0}", e);
        error!.GetAttribute("type").Should().Be(condition.ErrorType());
        error.Elements().Should().Contain(c => c.Name == condition.ToWireName() && c.Namespace == Ns.StanzaErrors, "got {0}", e);
    }

    /// <summary>The mechanism names offered in a features element (empty when there is no mechanisms child).</summary>
    public static string[] Mechanisms(this Element features) =>
        features.Child("mechanisms", Ns.Sasl)?.Elements().Select(m => m.Text).ToArray() ?? [];

    /// <summary>Opens the stream and negotiates STARTTLS; returns the features after TLS.</summary>
    public static async Task<Element> OpenSecureStreamAsync(this RawXmppClient client)
    {
        await client.OpenStreamAsync();
        return await client.StartTlsAsync();
    }

    /// <summary>
    /// Runs one SCRAM exchange by hand and returns the server's last answer (success or failure) and how long the
    /// server took to give it after the client-final message; a failure to the initial auth is returned as is.
    /// </summary>
    public static async Task<(Element Outcome, TimeSpan Elapsed)> ScramAttemptAsync(
        this RawXmppClient client, string user, string password, ScramHash hash = ScramHash.Sha256, bool plus = false,
        string gs2Header = "n,,", byte[]? bindingData = null)
    {
        var scram = new ScramClient(hash, user, password, NewNonce(), gs2Header, bindingData);
        await client.SendAsync(Auth(hash.MechanismName(plus), scram.ClientFirst()));
        var challenge = await client.NextAsync();
        if (challenge.Name != "challenge")
        {
            return (challenge, TimeSpan.Zero);
        }

        var final = scram.ClientFinal(Convert.FromBase64String(challenge.Text));
        var clock = Stopwatch.StartNew();
        await client.SendAsync($"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{Convert.ToBase64String(final)}</response>");
        var outcome = await client.NextAsync();
        var elapsed = clock.Elapsed;
        if (outcome.Name == "success")
        {
            scram.VerifyServerFinal(Convert.FromBase64String(outcome.Text)).Should().BeTrue("the server signature must verify");
        }

        return (outcome, elapsed);
    }

    /// <summary>An <c>&lt;auth/&gt;</c> element with a base64 initial response.</summary>
    public static string Auth(string mechanism, byte[] initial) =>
        $"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='{mechanism}'>{Convert.ToBase64String(initial)}</auth>";

    /// <summary>A PLAIN <c>&lt;auth/&gt;</c> for this user and password.</summary>
    public static string PlainAuth(string user, string password) =>
        Auth("PLAIN", System.Text.Encoding.UTF8.GetBytes("\0" + user + "\0" + password));

    /// <summary>A fresh SCRAM client nonce.</summary>
    public static string NewNonce() => Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=');

    /// <summary>Parses a SCRAM server-first message (<c>r=…,s=…,i=…</c>) into its attributes.</summary>
    public static Dictionary<char, string> ParseServerFirst(Element challenge) =>
        System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(challenge.Text))
            .Split(',').ToDictionary(a => a[0], a => a[2..]);
}
