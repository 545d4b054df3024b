using Rookery.Protocol.Sasl;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Streams;

/// <summary>SASL2 (XEP-0388) exchanges driven by hand from a raw client.</summary>
internal static class Sasl2Client
{
    /// <summary>
    /// Runs a SCRAM-SHA-256 SASL2 exchange with <paramref name="inline"/> children in &lt;authenticate/&gt; and returns
    /// the server's outcome: &lt;success/&gt; (its server signature checked) or &lt;failure/&gt;.
    /// </summary>
    public static async Task<Element> Sasl2ScramAttemptAsync(this RawXmppClient client, string user, string password, string inline = "")
    {
        var scram = new ScramClient(ScramHash.Sha256, user, password, StreamAssert.NewNonce());
        await client.SendAsync(Sasl2Tests.Authenticate("SCRAM-SHA-256", scram.ClientFirst(), inline));
        var challenge = await client.NextAsync();
        if (challenge.Name != "challenge")
        {
            return challenge;
        }

        challenge.Namespace.Should().Be(Sasl2Authenticate.Namespace);
        var final = scram.ClientFinal(Convert.FromBase64String(challenge.Text));
        await client.SendAsync($"<response xmlns='{Sasl2Authenticate.Namespace}'>{Convert.ToBase64String(final)}</response>");
        var outcome = await client.NextAsync();
        if (outcome.Name == "success")
        {
            var data = outcome.ChildText("additional-data", Sasl2Authenticate.Namespace);
            data.Should().NotBeNull("SCRAM's server-final message goes in <additional-data/>");
            scram.VerifyServerFinal(Convert.FromBase64String(data!)).Should().BeTrue("the server signature must verify");
        }

        return outcome;
    }

    /// <summary>Runs a SCRAM-SHA-256 SASL2 exchange that must succeed; returns &lt;success/&gt; and the features after it.</summary>
    public static async Task<(Element Success, Element Features)> Sasl2ScramAsync(this RawXmppClient client, string user, string password, string inline = "")
    {
        var outcome = await client.Sasl2ScramAttemptAsync(user, password, inline);
        outcome.Name.Should().Be("success", "got {0}", outcome);
        outcome.Namespace.Should().Be(Sasl2Authenticate.Namespace);
        // XEP-0388 §2.6.1: <success/> is followed at once by the features of the authenticated stream, without restart.
        var features = await client.NextAsync();
        features.Name.Should().Be("features", "got {0}", features);
        return (outcome, features);
    }
}
