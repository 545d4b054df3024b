using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Rookery.Hosting;
using Rookery.Integration.Tests.Modules;
using Rookery.Protocol.Sasl;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Streams;

/// <summary>
/// SASL ANONYMOUS (RFC 4505) per host: not offered and refused unless the host allows it; when allowed, a login gets a
/// temporary account with a random name that works like any other while the session lasts and leaves nothing in
/// storage afterwards; temporary accounts count against MaxUsers.
/// </summary>
public sealed class SaslAnonymousTests
{
    private static Task<TestServer> StartAsync(bool allow, int maxUsers = 0) =>
        TestServer.StartAsync(o => o.Hosts["localhost"] = new HostOptions { AllowAnonymous = allow, MaxUsers = maxUsers });

    [Fact]
    public async Task Default_NotOffered_AndRefusedWithInvalidMechanism()
    {
        await using var server = await StartAsync(allow: false);
        await using var client = await server.ConnectAsync();
        await client.OpenStreamAsync();
        var features = await client.StartTlsAsync();

        Mechanisms(features).Should().NotContain("ANONYMOUS").And.Contain("SCRAM-SHA-256");
        var failure = await Assert.ThrowsAsync<AuthenticationFailedException>(client.AuthenticateAnonymousAsync);

        failure.Answer.Name.Should().Be("failure");
        failure.Answer.Child("invalid-mechanism", Ns.Sasl).Should().NotBeNull("the answer was {0}", failure.Answer);
        (await server.Storage.Accounts.CountAsync("localhost")).Should().Be(0);
    }

    [Fact]
    public async Task Allowed_RandomAccount_WorksDuringSession_StorageCleanAfterLogout()
    {
        await using var server = await StartAsync(allow: true);
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        var client = await server.ConnectAsync();
        string local;
        await using (client)
        {
            await client.OpenStreamAsync();
            var features = await client.StartTlsAsync();
            Mechanisms(features).Should().Contain("ANONYMOUS");
            await client.AuthenticateAnonymousAsync();
            var jid = await client.BindAsync(null);
            local = jid.Local!;
            local.Should().StartWith("anon-");
            (await server.Storage.Accounts.ExistsAsync("localhost", local)).Should().BeTrue();

            // Use what keeps data for an account: roster (with a version), vCard, private XML, block list, archive.
            await client.SendAsync("<presence/>");
            (await client.SetAsync(null, "<query xmlns='jabber:iq:roster'><item jid='alice@localhost' name='A'/></query>")).ShouldBeResult();
            (await client.SetAsync(null, "<vCard xmlns='vcard-temp'><FN>Guest</FN></vCard>")).ShouldBeResult();
            (await client.SetAsync(null, "<query xmlns='jabber:iq:private'><prefs xmlns='test:prefs'>x</prefs></query>")).ShouldBeResult();
            (await client.SetAsync(null, "<block xmlns='urn:xmpp:blocking'><item jid='mallory@localhost'/></block>")).ShouldBeResult();
            await client.SendAsync($"<message to='{jid.Bare}' id='self1' type='chat'><body>note to self</body></message>");
            await client.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "self1");
            // Alice can reach the guest while it is online.
            await alice.SendAsync($"<iq type='get' id='v1' to='{jid}'><ping xmlns='urn:xmpp:ping'/></iq>");
            var ping = await client.WaitForAsync(e => e.Name == "iq" && e.GetAttribute("id") == "v1");
            await client.SendAsync($"<iq type='result' id='v1' to='{ping.GetAttribute("from")}'/>");
            await alice.WaitForAsync(e => e.Name == "iq" && e.GetAttribute("id") == "v1");
        }

        await Eventually.TrueAsync(async () => !await server.Storage.Accounts.ExistsAsync("localhost", local), "the temporary account is gone once its session ended", RawXmppClient.DefaultTimeout);
        (await server.Storage.Rosters.GetAsync($"{local}@localhost")).Version.Should().Be(0);
        RowsMentioning(server, local).Should().BeEmpty();

        // The name is gone: a message to it bounces like one to any account that does not exist.
        var bounce = await alice.IqAsync($"<iq type='get' id='v2' to='{local}@localhost/x'><ping xmlns='urn:xmpp:ping'/></iq>", "v2");
        bounce.ShouldBeError(Protocol.Errors.StanzaErrorCondition.ServiceUnavailable);
    }

    [Fact]
    public async Task Allowed_AuthenticatedButNeverBound_AccountDeletedWhenStreamCloses()
    {
        await using var server = await StartAsync(allow: true);
        var client = await server.ConnectAsync();
        await using (client)
        {
            await client.OpenStreamAsync();
            await client.StartTlsAsync();
            await client.AuthenticateAnonymousAsync();
            (await server.Storage.Accounts.CountAsync("localhost")).Should().Be(1);
        }

        await Eventually.TrueAsync(async () => await server.Storage.Accounts.CountAsync("localhost") == 0, "the temporary accounts are gone once their sessions ended", RawXmppClient.DefaultTimeout);
    }

    [Fact]
    public async Task Allowed_TwoGuests_GetDifferentAccounts_AndStreamManagementOffersNoResumption()
    {
        await using var server = await StartAsync(allow: true);
        await using var one = await GuestAsync(server);
        await using var two = await GuestAsync(server);

        one.Jid!.Bare.Should().NotBe(two.Jid!.Bare);
        await one.SendAsync("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
        var enabled = await one.WaitForAsync(e => e.Name == "enabled");
        enabled.GetAttribute("resume").Should().BeNull("a guest can never sign in as the same account again to resume");
    }

    [Fact]
    public async Task MaxUsers_CountsGuests_FullHostRefusesAnonymousWithTemporaryAuthFailure()
    {
        await using var server = await StartAsync(allow: true, maxUsers: 2);
        await server.CreateUserAsync("alice");
        await using var guest = await GuestAsync(server);
        await using var client = await server.ConnectAsync();
        await client.OpenStreamAsync();
        await client.StartTlsAsync();

        var failure = await Assert.ThrowsAsync<AuthenticationFailedException>(client.AuthenticateAnonymousAsync);

        failure.Answer.Child("temporary-auth-failure", Ns.Sasl).Should().NotBeNull("the answer was {0}", failure.Answer);
        (await server.Storage.Accounts.CountAsync("localhost")).Should().Be(2);
    }

    private static async Task<RawXmppClient> GuestAsync(TestServer server)
    {
        var client = await server.ConnectAsync();
        await client.OpenStreamAsync();
        await client.StartTlsAsync();
        await client.AuthenticateAnonymousAsync();
        await client.BindAsync(null);
        return client;
    }

    private static IEnumerable<string?> Mechanisms(Element features) =>
        features.Child("mechanisms", Ns.Sasl)!.Elements().Select(m => m.Text);

    /// <summary>The session ends after the socket closes, on the server's own time: wait for it, with a deadline.</summary>

    /// <summary>Every row of every table of the node's SQLite database in which the name appears ("table: row").</summary>
    private static List<string> RowsMentioning(TestServer server, string text)
    {
        var options = server.Services.GetRequiredService<RookeryOptions>();
        var path = Path.Combine(options.DataDirectory, options.Storage.Sqlite.Path);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        var tables = new List<string>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table'";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var found = new List<string>();
        foreach (var table in tables)
        {
            using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\"";
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    var value = reader.GetValue(i);
                    var s = value as string ?? (value is byte[] bytes ? System.Text.Encoding.UTF8.GetString(bytes) : null);
                    if (s is not null && s.Contains(text, StringComparison.Ordinal))
                    {
                        found.Add($"{table}: {s}");
                    }
                }
            }
        }

        return found;
    }
}
