using System.Security.Cryptography;
using System.Text;
using Rookery.Protocol.Sasl;
using Rookery.TestKit;

namespace Rookery.Protocol.Tests.Sasl;

/// <summary>XEP-0474 (SASL SCRAM Downgrade Protection): the hash and its place in server-first-message.</summary>
public sealed class ScramDowngradeProtectionTests
{
    [Fact]
    public void Compute_Xep0474Example_MatchesPublishedValue()
    {
        // XEP-0474 §6.3: SHA-1 of 'SCRAM-SHA-1\x1eSCRAM-SHA-1-PLUS\x1ftls-exporter\x1etls-server-end-point'.
        var h = ScramDowngradeProtection.Compute(
            ScramHash.Sha1, ["SCRAM-SHA-1-PLUS", "SCRAM-SHA-1"], ["tls-server-end-point", "tls-exporter"]);

        h.Should().Be("G6k/rBLDqgOhRRaCuuatSDFkJ08=");
    }

    [Fact]
    public void Compute_NoChannelBindingAdvertised_NoListDelimiter()
    {
        var h = ScramDowngradeProtection.Compute(ScramHash.Sha256, ["SCRAM-SHA-256", "PLAIN", "SCRAM-SHA-1"], null);

        h.Should().Be(Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes("PLAIN\u001ESCRAM-SHA-1\u001ESCRAM-SHA-256"))));
    }

    [Theory]
    [InlineData(ScramHash.Sha1, 20)]
    [InlineData(ScramHash.Sha256, 32)]
    [InlineData(ScramHash.Sha512, 64)]
    public void Compute_UsesTheMechanismsHash(ScramHash hash, int size)
    {
        Convert.FromBase64String(ScramDowngradeProtection.Compute(hash, ["SCRAM-SHA-1"], null)).Should().HaveCount(size);
    }

    [Fact]
    public void ServerFirst_WithDowngradeProtection_CarriesHAttribute_AndProofsStillVerify()
    {
        var keys = ScramKeys.Create(ScramHash.Sha256, "pw", 4096);
        var server = new ScramServerExchange(ScramHash.Sha256, false, serverBinding: null) { DowngradeProtection = "abc+/=" };
        var client = new ScramClient(ScramHash.Sha256, "juliet", "pw", "clientnonce123");
        server.ReadClientFirst(client.ClientFirst());

        var serverFirst = server.CreateServerFirst(keys);

        Encoding.ASCII.GetString(serverFirst).Should().EndWith(",h=abc+/=");
        // The attribute is part of the AuthMessage both sides sign.
        client.VerifyServerFinal(server.VerifyClientFinal(client.ClientFinal(serverFirst))).Should().BeTrue();
    }

    [Fact]
    public void ServerFirst_UnknownUser_CarriesHAttributeToo()
    {
        var server = new ScramServerExchange(ScramHash.Sha256, false, serverBinding: null) { DowngradeProtection = "xyz=" };
        server.ReadClientFirst(Encoding.UTF8.GetBytes("n,,n=nobody,r=abc"));

        Encoding.ASCII.GetString(server.CreateServerFirst(null)).Should().EndWith(",h=xyz=");
    }
}
