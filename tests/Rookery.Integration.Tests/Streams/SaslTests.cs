using System.Diagnostics;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Sasl;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.Storage;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Streams;

/// <summary>SASL negotiation and its failure cases (RFC 6120 §6.4, §6.5), including the failed-login slow-down.</summary>
public sealed class SaslTests
{
    // Timer slack: a delay measured on the client can only be longer than the server's, but allow a tick of rounding.
    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(5);

    [Fact]
    public async Task Scram_WrongPassword_NotAuthorizedAfterFailureDelay()
    {
        await using var server = await TestServer.StartAsync(auth: new AuthOptions
        {
            FailureDelayMilliseconds = 300,
            MaxFailureDelayMilliseconds = 5000,
            ScramIterations = 4096,
        });
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();

        var (outcome, elapsed) = await client.ScramAttemptAsync("alice", "wrong");

        outcome.ShouldBeSaslFailure(SaslFailure.NotAuthorized);
        elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(300) - Slack);
    }

    [Fact]
    public async Task Failures_RepeatedFromSameAddress_SecondIsAtLeastTwiceAsSlow()
    {
        await using var server = await TestServer.StartAsync(auth: new AuthOptions
        {
            FailureDelayMilliseconds = 200,
            MaxFailureDelayMilliseconds = 5000,
            ScramIterations = 4096,
        });
        await server.CreateUserAsync("alice");

        // Two separate connections: the slow-down follows the address, so a guesser cannot reset it by reconnecting.
        TimeSpan first, second;
        await using (var c1 = await server.ConnectAsync())
        {
            await c1.OpenSecureStreamAsync();
            var clock = Stopwatch.StartNew();
            await c1.SendAsync(StreamAssert.PlainAuth("alice", "wrong1"));
            (await c1.NextAsync()).ShouldBeSaslFailure(SaslFailure.NotAuthorized);
            first = clock.Elapsed;
        }

        await using (var c2 = await server.ConnectAsync())
        {
            await c2.OpenSecureStreamAsync();
            var clock = Stopwatch.StartNew();
            await c2.SendAsync(StreamAssert.PlainAuth("alice", "wrong2"));
            (await c2.NextAsync()).ShouldBeSaslFailure(SaslFailure.NotAuthorized);
            second = clock.Elapsed;
        }

        first.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(200) - Slack);
        second.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(400) - Slack);
    }

    [Fact]
    public async Task Failures_MaxAttemptsPerStream_ClosesWithPolicyViolation()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();

        for (var i = 1; i <= 3; i++)
        {
            var (outcome, _) = await client.ScramAttemptAsync("alice", "wrong" + i);
            outcome.ShouldBeSaslFailure(SaslFailure.NotAuthorized);
            if (i < 3)
            {
                client.Closed.IsCompleted.Should().BeFalse("attempt {0} of 3 leaves the stream open", i);
            }
        }

        await client.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.PolicyViolation);
    }

    [Fact]
    public async Task Scram_UnknownUser_IndistinguishableFromWrongPassword()
    {
        // A non-default iteration count: the fake credentials of unknown users must follow it too.
        await using var server = await TestServer.StartAsync(auth: new AuthOptions
        {
            FailureDelayMilliseconds = 20,
            MaxFailureDelayMilliseconds = 100,
            ScramIterations = 5000,
        });
        await server.CreateUserAsync("alice");

        var (aliceFirst, aliceFailure) = await ProbeAsync(server, "alice");
        var (malloryFirst, malloryFailure) = await ProbeAsync(server, "mallory");
        var (malloryAgain, _) = await ProbeAsync(server, "mallory");

        malloryFirst['i'].Should().Be(aliceFirst['i'], "the iteration count must not reveal which accounts exist");
        Convert.FromBase64String(malloryFirst['s']).Length.Should().Be(Convert.FromBase64String(aliceFirst['s']).Length);
        malloryAgain['s'].Should().Be(malloryFirst['s'], "a real account's salt is stable, so a fake one must be too");
        malloryFailure.ToString().Should().Be(aliceFailure.ToString());
        aliceFailure.ShouldBeSaslFailure(SaslFailure.NotAuthorized);
    }

    [Fact]
    public async Task Plain_GoodPasswordOverTls_SucceedsAndBinds()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice", "pässwörd");
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();

        var features = await client.AuthenticatePlainAsync("alice", "pässwörd");

        features.Child("bind", Ns.Bind).Should().NotBeNull();
        (await client.BindAsync("p")).ToString().Should().Be($"alice@{server.Domain}/p");
    }

    [Theory]
    [InlineData("alice", "wrong")]
    [InlineData("nobody", "secret")]
    public async Task Plain_BadCredentialsOverTls_NotAuthorized(string user, string password)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();

        await client.SendAsync(StreamAssert.PlainAuth(user, password));

        (await client.NextAsync()).ShouldBeSaslFailure(SaslFailure.NotAuthorized);
    }

    [Fact]
    public async Task Plain_BeforeTls_InvalidMechanism()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenStreamAsync();

        // RFC 6120 §13.8: the password must never cross an unencrypted stream, even if the client offers it.
        await client.SendAsync(StreamAssert.PlainAuth("alice", "secret"));

        (await client.NextAsync()).ShouldBeSaslFailure(SaslFailure.InvalidMechanism);
    }

    [Fact]
    public async Task Plain_WithoutTls_WhenTheHostAllowsIt_IsOfferedAndChecksThePassword()
    {
        await using var server = await TestServer.StartAsync(o => o.Hosts["localhost"] = new HostOptions { AllowUnencryptedPlain = true });
        await server.CreateUserAsync("alice", "pässwörd");
        await using var wrong = await server.ConnectAsync();
        await wrong.OpenStreamAsync();
        await wrong.SendAsync(StreamAssert.PlainAuth("alice", "passwort"));
        (await wrong.NextAsync()).ShouldBeSaslFailure(SaslFailure.NotAuthorized);

        await using var client = await server.ConnectAsync();
        var features = await client.OpenStreamAsync();
        features.Child("mechanisms", Ns.Sasl)!.Elements().Select(m => m.Text).Should().Contain("PLAIN");
        await client.AuthenticatePlainAsync("alice", "pässwörd");

        (await client.BindAsync("p")).ToString().Should().Be($"alice@{server.Domain}/p");
    }

    [Theory]
    [InlineData("SHA-1", "SHA-256", "SHA-512")]
    [InlineData("SHA-256", "SHA-512")]
    [InlineData("SHA-512")]
    public async Task Plain_ChecksTheCheapestStoredKey(params string[] stored)
    {
        // PLAIN derives one key (issue #6): the cheapest stored one. Every other stored key here belongs to another
        // password, so the login succeeds only if the cheapest key was the one checked, and a password matching only
        // a costlier key is refused.
        await using var server = await TestServer.StartAsync(o => o.Hosts["localhost"] = new HostOptions { AllowUnencryptedPlain = true });
        var alice = await server.CreateUserAsync("alice", "right");
        var credentials = stored.Select((name, i) =>
        {
            var hash = name switch { "SHA-1" => ScramHash.Sha1, "SHA-256" => ScramHash.Sha256, _ => ScramHash.Sha512 };
            var k = ScramKeys.Create(hash, i == 0 ? "right" : "other", 4096);
            return new StoredCredential(name, k.Salt, k.Iterations, k.StoredKey, k.ServerKey);
        }).ToList();
        (await server.Storage.Accounts.SetCredentialsAsync(alice.Domain, alice.Local!, credentials)).Should().BeTrue();

        if (stored.Length > 1)
        {
            await using var other = await server.ConnectAsync();
            await other.OpenStreamAsync();
            await other.SendAsync(StreamAssert.PlainAuth("alice", "other"));
            (await other.NextAsync()).ShouldBeSaslFailure(SaslFailure.NotAuthorized);
        }

        await using var client = await server.ConnectAsync();
        await client.OpenStreamAsync();
        await client.AuthenticatePlainAsync("alice", "right");
        (await client.BindAsync("p")).ToString().Should().Be($"alice@{server.Domain}/p");
    }

    [Fact]
    public async Task Auth_UnknownMechanism_InvalidMechanism()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();

        await client.SendAsync("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='DIGEST-MD5'/>");

        (await client.NextAsync()).ShouldBeSaslFailure(SaslFailure.InvalidMechanism);
    }

    [Fact]
    public async Task Abort_DuringScram_AbortedAndStreamStaysUsable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();
        var scram = new ScramClient(ScramHash.Sha256, "alice", "secret", StreamAssert.NewNonce());
        await client.SendAsync(StreamAssert.Auth("SCRAM-SHA-256", scram.ClientFirst()));
        await client.ExpectAsync("challenge", Ns.Sasl);

        await client.SendAsync("<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");

        (await client.NextAsync()).ShouldBeSaslFailure(SaslFailure.Aborted);
        // RFC 6120 §6.4.4: after an abort the client may start over.
        await client.AuthenticateScramAsync("alice", "secret");
        (await client.BindAsync("again")).ToString().Should().Be($"alice@{server.Domain}/again");
    }

    [Fact]
    public async Task Auth_MalformedBase64_IncorrectEncoding()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();

        await client.SendAsync("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>not*base64!</auth>");

        (await client.NextAsync()).ShouldBeSaslFailure(SaslFailure.IncorrectEncoding);
    }

    /// <summary>One wrong-password SCRAM attempt on a fresh connection: the server-first attributes and the failure.</summary>
    private static async Task<(Dictionary<char, string> ServerFirst, Element Failure)> ProbeAsync(TestServer server, string user)
    {
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();
        var scram = new ScramClient(ScramHash.Sha256, user, "guess", StreamAssert.NewNonce());
        await client.SendAsync(StreamAssert.Auth("SCRAM-SHA-256", scram.ClientFirst()));
        var challenge = await client.NextAsync();
        challenge.Name.Should().Be("challenge", "an unknown user must get a challenge like a real one, got {0}", challenge);
        var serverFirst = StreamAssert.ParseServerFirst(challenge);
        var final = scram.ClientFinal(Convert.FromBase64String(challenge.Text));
        await client.SendAsync($"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{Convert.ToBase64String(final)}</response>");
        return (serverFirst, await client.NextAsync());
    }
}
