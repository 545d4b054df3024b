using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Registration;

/// <summary>In-band registration (XEP-0077): closed by default, open per host, rate limited, and account self-service.</summary>
public sealed class InBandRegistrationTests
{
    private const string Register = "jabber:iq:register";

    private static Action<Rookery.Hosting.RookeryOptions> Open(int minSeconds = 0, List<string>? allowed = null, int maxUsers = 0) => o =>
    {
        o.Hosts["localhost"] = new HostOptions { AllowRegistration = true, MaxUsers = maxUsers };
        o.Registration = new RegistrationOptions { MinSecondsBetweenRegistrations = minSeconds, AllowedAddresses = allowed ?? [] };
    };

    [Fact]
    public async Task Default_RegistrationIsClosed()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.OpenStreamAsync();
        var features = await client.StartTlsAsync();
        features.Child("register", "http://jabber.org/features/iq-register").Should().BeNull();

        var reply = await client.IqAsync($"<iq type='set' id='r1'><query xmlns='{Register}'><username>eve</username><password>pw</password></query></iq>", "r1");

        reply.GetAttribute("type").Should().Be("error");
        StanzaErrors.ConditionOf(reply).Should().Be(StanzaErrorCondition.ServiceUnavailable);
        (await server.Storage.Accounts.ExistsAsync("localhost", "eve")).Should().BeFalse();
    }

    [Fact]
    public async Task Open_RegisterThenLogin()
    {
        await using var server = await TestServer.StartAsync(Open());
        await using (var client = await server.ConnectAsync())
        {
            await client.OpenStreamAsync();
            var features = await client.StartTlsAsync();
            features.Child("register", "http://jabber.org/features/iq-register").Should().NotBeNull();
            var form = await client.IqAsync($"<iq type='get' id='f1'><query xmlns='{Register}'/></iq>", "f1");
            form.Child("query", Register)!.Child("username", Register).Should().NotBeNull();

            var reply = await client.IqAsync($"<iq type='set' id='r1'><query xmlns='{Register}'><username>Eve</username><password>pw1</password></query></iq>", "r1");
            reply.GetAttribute("type").Should().Be("result");
        }

        await using var eve = await server.LoginAsync("eve", "pw1");
        eve.Jid!.Local.Should().Be("eve");
    }

    [Fact]
    public async Task Open_TakenName_Conflict()
    {
        await using var server = await TestServer.StartAsync(Open());
        await server.CreateUserAsync("eve");
        await using var client = await server.ConnectAsync();
        await client.OpenStreamAsync();
        await client.StartTlsAsync();

        var reply = await client.IqAsync($"<iq type='set' id='r1'><query xmlns='{Register}'><username>eve</username><password>x</password></query></iq>", "r1");

        StanzaErrors.ConditionOf(reply).Should().Be(StanzaErrorCondition.Conflict);
    }

    [Fact]
    public async Task Open_SecondRegistrationFromSameAddress_IsRateLimited()
    {
        await using var server = await TestServer.StartAsync(Open(minSeconds: 300));
        await using var client = await server.ConnectAsync();
        await client.OpenStreamAsync();
        await client.StartTlsAsync();

        var first = await client.IqAsync($"<iq type='set' id='r1'><query xmlns='{Register}'><username>one</username><password>x</password></query></iq>", "r1");
        var second = await client.IqAsync($"<iq type='set' id='r2'><query xmlns='{Register}'><username>two</username><password>x</password></query></iq>", "r2");

        first.GetAttribute("type").Should().Be("result");
        StanzaErrors.ConditionOf(second).Should().Be(StanzaErrorCondition.ResourceConstraint);
        (await server.Storage.Accounts.ExistsAsync("localhost", "two")).Should().BeFalse();
    }

    [Fact]
    public async Task AllowedAddresses_ExcludeOthers()
    {
        await using var server = await TestServer.StartAsync(Open(allowed: ["10.0.0.0/8"]));
        await using var client = await server.ConnectAsync();
        await client.OpenStreamAsync();
        var features = await client.StartTlsAsync();
        features.Child("register", "http://jabber.org/features/iq-register").Should().BeNull();

        var reply = await client.IqAsync($"<iq type='set' id='r1'><query xmlns='{Register}'><username>eve</username><password>x</password></query></iq>", "r1");

        StanzaErrors.ConditionOf(reply).Should().Be(StanzaErrorCondition.ServiceUnavailable);
    }

    [Fact]
    public async Task MaxUsers_Reached_ResourceConstraint()
    {
        await using var server = await TestServer.StartAsync(Open(maxUsers: 1));
        await server.CreateUserAsync("first");
        await using var client = await server.ConnectAsync();
        await client.OpenStreamAsync();
        await client.StartTlsAsync();

        var reply = await client.IqAsync($"<iq type='set' id='r1'><query xmlns='{Register}'><username>second</username><password>x</password></query></iq>", "r1");

        StanzaErrors.ConditionOf(reply).Should().Be(StanzaErrorCondition.ResourceConstraint);
    }

    [Fact]
    public async Task SignedIn_ChangesPassword()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice", "old");
        await using (var alice = await server.LoginAsync("alice", "old"))
        {
            var reply = await alice.IqAsync($"<iq type='set' id='c1'><query xmlns='{Register}'><username>alice</username><password>new</password></query></iq>", "c1");
            reply.GetAttribute("type").Should().Be("result");
        }

        await using var again = await server.LoginAsync("alice", "new");
        again.Jid.Should().NotBeNull();
    }

    [Fact]
    public async Task SignedIn_RemovesAccount_AndIsDisconnected()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        await alice.SendAsync($"<iq type='set' id='x1'><query xmlns='{Register}'><remove/></query></iq>");

        var result = await alice.WaitForAsync(e => e.Name == "iq" && e.GetAttribute("id") == "x1");
        result.GetAttribute("type").Should().Be("result");
        (await alice.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.NotAuthorized);
        (await server.Storage.Accounts.ExistsAsync("localhost", "alice")).Should().BeFalse();
    }
}
