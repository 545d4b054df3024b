using System.Security.Cryptography;
using System.Text;
using Rookery.Protocol.Sasl;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Streams;

/// <summary>
/// XEP-0474 (SASL SCRAM Downgrade Protection): the <c>h</c> attribute of the SCRAM challenge is the hash of exactly
/// what the stream features offered, as a client recomputes it, for RFC 6120 SASL and SASL2, with TLS (-PLUS
/// mechanisms, PLAIN and XEP-0440 binding types on offer) and without (plain SCRAM only, no binding types).
/// </summary>
public sealed class SaslDowngradeProtectionTests
{
    [Theory]
    [InlineData(ScramHash.Sha1, true, false)]
    [InlineData(ScramHash.Sha256, true, false)]
    [InlineData(ScramHash.Sha1, false, false)]
    [InlineData(ScramHash.Sha256, false, false)]
    [InlineData(ScramHash.Sha1, true, true)]
    [InlineData(ScramHash.Sha256, true, true)]
    [InlineData(ScramHash.Sha1, false, true)]
    [InlineData(ScramHash.Sha256, false, true)]
    public async Task ScramChallenge_HAttribute_MatchesHashOfOfferedFeatures(ScramHash hash, bool tls, bool sasl2)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        var features = tls ? await client.OpenSecureStreamAsync() : await client.OpenStreamAsync();
        var mechanismList = sasl2
            ? features.Child("authentication", Sasl2Authenticate.Namespace)
            : features.Child("mechanisms", Ns.Sasl);
        mechanismList.Should().NotBeNull();
        var mechanisms = mechanismList!.Elements().Where(c => c.Name == "mechanism").Select(c => c.Text).ToList();
        var bindingTypes = features.Child("sasl-channel-binding", "urn:xmpp:sasl-cb:0")?.Elements().Select(c => c.GetAttribute("type")!).ToList();
        // The two cases really differ in what is offered, so the hash covers different lists.
        mechanisms.Any(m => m.EndsWith("-PLUS", StringComparison.Ordinal)).Should().Be(tls);
        (bindingTypes is not null).Should().Be(tls);

        var scram = new ScramClient(hash, "alice", "secret", StreamAssert.NewNonce());
        var mechanism = hash.MechanismName(plus: false);
        await client.SendAsync(sasl2
            ? Sasl2Tests.Authenticate(mechanism, scram.ClientFirst(), "")
            : StreamAssert.Auth(mechanism, scram.ClientFirst()));
        var challenge = await client.NextAsync();
        challenge.Name.Should().Be("challenge", "got {0}", challenge);
        var serverFirst = Convert.FromBase64String(challenge.Text);
        var attributes = Encoding.ASCII.GetString(serverFirst).Split(',').ToDictionary(a => a[0], a => a[2..]);

        attributes.Should().ContainKey('h');
        attributes['h'].Should().Be(ClientSideHash(hash, mechanisms, bindingTypes));

        // The attribute is signed by both proofs: the exchange still completes and the server signature verifies.
        var final = scram.ClientFinal(serverFirst);
        var ns = sasl2 ? Sasl2Authenticate.Namespace : Ns.Sasl;
        await client.SendAsync($"<response xmlns='{ns}'>{Convert.ToBase64String(final)}</response>");
        var success = await client.NextAsync();
        success.Name.Should().Be("success", "got {0}", success);
        var serverFinal = sasl2 ? success.ChildText("additional-data", Sasl2Authenticate.Namespace)! : success.Text;
        scram.VerifyServerFinal(Convert.FromBase64String(serverFinal)).Should().BeTrue();
    }

    /// <summary>XEP-0474 §6.2 as a client does it, written out here rather than calling the server's code.</summary>
    private static string ClientSideHash(ScramHash hash, List<string> mechanisms, List<string>? bindingTypes)
    {
        var s = string.Join('\u001E', mechanisms.Order(StringComparer.Ordinal));
        if (bindingTypes is not null)
        {
            s += '\u001F' + string.Join('\u001E', bindingTypes.Order(StringComparer.Ordinal));
        }

        var bytes = Encoding.ASCII.GetBytes(s);
        return Convert.ToBase64String(hash == ScramHash.Sha1 ? SHA1.HashData(bytes) : SHA256.HashData(bytes));
    }
}
