using System.Text.Json;

namespace Rookery.Hosting.Tests;

/// <summary>Loading, binding and validating a node's configuration: defaults, file, overrides, and errors that name the key.</summary>
public sealed class RookeryConfigurationTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Bind_NoFile_UsesDefaults()
    {
        var options = Load(null);

        options.DataDirectory.Should().Be("data");
        options.Hosts.Should().BeEmpty();
        options.ToServerOptions().Hosts.Keys.Should().Equal("localhost");
        options.Listeners.Client.Should().BeEquivalentTo(new { Port = 5222, Address = "*", Enabled = true });
        options.Listeners.DirectTls.Should().BeEquivalentTo(new { Port = 5223, Address = "*", Enabled = true });
        options.Storage.Provider.Should().Be("sqlite");
        options.Storage.Sqlite.Path.Should().Be("rookery.db");
        options.Limits.MaxStanzaBytes.Should().Be(256 * 1024);
        options.Auth.ScramIterations.Should().Be(4096);
        options.Offline.MaxMessagesPerUser.Should().Be(1000);
    }

    [Fact]
    public void Bind_FileWithTwoHosts_ServesBothAndNotLocalhost()
    {
        var file = _folder.Write("rookery.json", """
            {
              // Comments and trailing commas are allowed, as in the sample file.
              "DataDirectory": "/var/lib/rookery",
              "Hosts": {
                "example.com": { "TlsRequired": true, "Admins": [ "admin@example.com" ] },
                "example.org": { "AllowRegistration": true },
              },
              "Listeners": { "Client": { "Address": "127.0.0.1", "Port": 5333 } }
            }
            """);

        var options = Load(file);

        var hosts = options.ToServerOptions().Hosts;
        hosts.Keys.Should().BeEquivalentTo("example.com", "example.org");
        hosts["example.com"].TlsRequired.Should().BeTrue();
        hosts["example.com"].AllowRegistration.Should().BeFalse();
        hosts["example.com"].Admins.Should().Equal("admin@example.com");
        hosts["EXAMPLE.org"].AllowRegistration.Should().BeTrue("host names are case-insensitive");
        options.DataDirectory.Should().Be("/var/lib/rookery");
        options.Listeners.Client.Port.Should().Be(5333);
        options.Listeners.Client.Address.Should().Be("127.0.0.1");
        options.Listeners.DirectTls.Port.Should().Be(5223, "keys the file leaves out keep their defaults");
    }

    [Fact]
    public void Bind_HostWithEmptyObject_IsServedWithDefaults()
    {
        var file = _folder.Write("rookery.json", """{ "Hosts": { "example.net": { } } }""");

        var options = Load(file);

        options.ToServerOptions().Hosts.Keys.Should().Equal("example.net");
        options.ToServerOptions().Hosts["example.net"].TlsRequired.Should().BeFalse();
    }

    [Fact]
    public void Build_OverridesAndSwitches_BeatTheFile_OverridesBeatSwitches()
    {
        var file = _folder.Write("rookery.json", """{ "Listeners": { "Client": { "Port": 6000 }, "DirectTls": { "Port": 6001 } }, "Limits": { "MaxDepth": 10 } }""");
        var overrides = new Dictionary<string, string?>
        {
            ["Listeners:Client:Port"] = "7000",
            ["Limits:MaxDepth"] = "20",
        };

        var options = RookeryConfiguration.Bind(RookeryConfiguration.Build(
            file, overrides, ["--Listeners:DirectTls:Port=7001", "--Limits:MaxDepth=30"]));

        options.Listeners.Client.Port.Should().Be(7000);
        options.Listeners.DirectTls.Port.Should().Be(7001);
        options.Limits.MaxDepth.Should().Be(20);
    }

    [Fact]
    public void Build_OverrideWithEnvironmentStyleKey_IsCaseInsensitive()
    {
        // ROOKERY_listeners__client__port=7100 arrives as "listeners:client:port"; keys match regardless of case.
        var options = Load(null, ("listeners:client:port", "7100"), ("HOSTS:Example.COM:tlsrequired", "true"));

        options.Listeners.Client.Port.Should().Be(7100);
        options.ToServerOptions().Hosts["example.com"].TlsRequired.Should().BeTrue();
    }

    [Fact]
    public void SampleFile_Binds_AndStatesTheDefaults()
    {
        var sample = Path.Combine(RepositoryRoot(), "rookery.json");

        var options = Load(sample);

        var defaults = new RookeryOptions();
        options.ToServerOptions().Hosts.Keys.Should().Equal("localhost");
        options.DataDirectory.Should().Be(defaults.DataDirectory);
        Json(options.Listeners).Should().Be(Json(defaults.Listeners));
        Json(options.Storage).Should().Be(Json(defaults.Storage));
        Json(options.Limits).Should().Be(Json(defaults.Limits));
        Json(options.Auth).Should().Be(Json(defaults.Auth));
        Json(options.Offline).Should().Be(Json(defaults.Offline));
        Json(options.Modules.Push).Should().Be(Json(defaults.Modules.Push));
        Json(options.Cluster).Should().Be(Json(defaults.Cluster));
        Json(options.S2S).Should().Be(Json(defaults.S2S));
        Json(options.Modules.HttpUpload).Should().Be(Json(defaults.Modules.HttpUpload));
        Json(options.Modules.ExternalServices).Should().Be(Json(defaults.Modules.ExternalServices));
        Json(options.Modules.Pubsub).Should().Be(Json(defaults.Modules.Pubsub));
        options.S2S.Enabled.Should().BeTrue("a node federates by default, as ejabberd and Prosody do");
        options.Listeners.ServerDirectTls.Enabled.Should().BeFalse("direct TLS for servers is opt-in, as Prosody's s2s_direct_tls_ports");
        options.Listeners.ServerDirectTls.Port.Should().Be(5270);
        options.Components.Should().BeEmpty("a node accepts no external component unless told to");
    }

    [Fact]
    public void Bind_S2sSection_BindsRoutesAndSettings()
    {
        var options = Load(null,
            ("S2S:Enabled", "true"), ("S2S:Routes:example.org", "10.0.0.7:5270"), ("S2S:Routes:v6.example", "[::1]:5269"),
            ("S2S:RequireValidCertificates", "true"), ("S2S:IdleTimeoutSeconds", "30"), ("Listeners:Server:Port", "5999"),
            ("Listeners:ServerDirectTls:Enabled", "true"), ("Listeners:ServerDirectTls:Port", "5998"));

        options.S2S.Enabled.Should().BeTrue();
        options.S2S.Routes.Should().HaveCount(2);
        options.S2S.Routes["EXAMPLE.ORG"].Should().Be("10.0.0.7:5270", "domains are compared without case");
        options.S2S.RequireValidCertificates.Should().BeTrue();
        options.S2S.IdleTimeoutSeconds.Should().Be(30);
        options.Listeners.Server.Port.Should().Be(5999);
        options.Listeners.ServerDirectTls.Enabled.Should().BeTrue();
        options.Listeners.ServerDirectTls.Port.Should().Be(5998);
        Rookery.Server.Routing.S2sOptions.TryParseTarget("[::1]:5269", out var host, out var port).Should().BeTrue();
        (host, port).Should().Be(("::1", 5269));
        Rookery.Server.Routing.S2sOptions.TryParseTarget("peer.example", out host, out port).Should().BeTrue();
        (host, port).Should().Be(("peer.example", 5269));
    }

    [Fact]
    public void Bind_ComponentDomains_BindSecretBalancingAndBuckets()
    {
        var file = _folder.Write("rookery.json", """
            {
              "Listeners": { "Component": { "Address": "127.0.0.1", "Port": 5348 } },
              "Components": {
                "conference.example.com": { "Secret": "s1", "Balancing": "bare_destination", "ComponentNumber": 3, "OnInstanceFailure": "spare" },
                "echo.example.com": { "Secret": "s2" },
                "gateway.example.com": { "Secret": "s3", "Connect": [ "127.0.0.1:5999", "[::1]:6000" ] }
              }
            }
            """);

        var options = Load(file);

        options.Listeners.Component.Port.Should().Be(5348);
        var conference = options.Components["conference.example.com"];
        conference.ParsedBalancing.Should().Be(Rookery.Server.Components.ComponentBalancing.BareDestination);
        conference.ComponentNumber.Should().Be(3);
        conference.ParsedFailover.Should().Be(Rookery.Server.Components.ComponentFailover.Spare);
        options.Components["echo.example.com"].ParsedBalancing.Should().Be(Rookery.Server.Components.ComponentBalancing.Random);
        options.Components["echo.example.com"].ConnectAddresses.Should().BeEmpty("accept mode unless addresses are listed");
        options.Components["gateway.example.com"].ConnectAddresses.Should().Equal(
            new Rookery.Server.Components.ComponentAddress("127.0.0.1", 5999), new Rookery.Server.Components.ComponentAddress("::1", 6000));
    }

    [Theory]
    [InlineData("Balancing", "nearest", "Components:conf.example.com:Balancing")]
    [InlineData("ComponentNumber", "-1", "Components:conf.example.com:ComponentNumber")]
    [InlineData("ComponentNumber", "3", "Components:conf.example.com:ComponentNumber")]
    [InlineData("OnInstanceFailure", "retry", "Components:conf.example.com:OnInstanceFailure")]
    [InlineData("Secret", "", "Components:conf.example.com:Secret")]
    [InlineData("Connect:0", "no-port-here", "Components:conf.example.com:Connect:0")]
    [InlineData("Connect:0", "host:70000", "Components:conf.example.com:Connect:0")]
    public void Bind_InvalidComponentSetting_ThrowsNamingTheKey(string setting, string value, string named)
    {
        (string, string)[] overrides = setting == "Secret"
            ? [($"Components:conf.example.com:{setting}", value)]
            : [("Components:conf.example.com:Secret", "s"), ($"Components:conf.example.com:{setting}", value)];
        var act = () => Load(null, overrides);

        act.Should().Throw<ConfigurationException>()
            .Which.Message.Should().Contain($"'{named}'");
    }

    [Theory]
    [InlineData("Bosh:MaxWaitSeconds", "0")]
    [InlineData("Bosh:MaxWaitSeconds", "3601")]
    [InlineData("Bosh:MaxInactivitySeconds", "0")]
    public void Bind_BoshLimitOutOfRange_ThrowsNamingTheKey(string key, string value)
    {
        var act = () => Load(null, (key, value));

        act.Should().Throw<ConfigurationException>().Which.Message.Should().Contain($"'{key}'");
    }

    [Fact]
    public void Bind_PushSection_BindsAndDefaults()
    {
        var defaults = Load(null).Modules.Push;
        var options = Load(null,
            ("Modules:Push:IncludeSender", "true"), ("Modules:Push:IncludeBody", "true"), ("Modules:Push:MaxRegistrationsPerUser", "3")).Modules.Push;

        (defaults.IncludeSender, defaults.IncludeBody, defaults.MaxRegistrationsPerUser).Should().Be((false, false, 10));
        (options.IncludeSender, options.IncludeBody, options.MaxRegistrationsPerUser).Should().Be((true, true, 3));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1001")]
    public void Bind_PushMaxRegistrationsOutOfRange_ThrowsNamingTheKey(string value)
    {
        var act = () => Load(null, ("Modules:Push:MaxRegistrationsPerUser", value));

        act.Should().Throw<ConfigurationException>().Which.Message.Should().Contain("'Modules:Push:MaxRegistrationsPerUser'");
    }

    [Fact]
    public void Bind_MaxLinkOutboundQueue_BoundSeparatelyAndAtLeastTen()
    {
        var options = Load(null, ("Limits:MaxLinkOutboundQueue", "500"));
        options.ToServerOptions().Limits.MaxLinkOutboundQueue.Should().Be(500);
        options.ToServerOptions().Limits.MaxOutboundQueue.Should().Be(new RookeryOptions().Limits.MaxOutboundQueue, "the client limit is apart");

        var act = () => Load(null, ("Limits:MaxLinkOutboundQueue", "9"));
        act.Should().Throw<ConfigurationException>().Which.Message.Should().Contain("'Limits:MaxLinkOutboundQueue'");
    }

    [Fact]
    public void Bind_HttpUploadSection_BindsEveryKey()
    {
        var options = Load(
            null,
            ("Modules:HttpUpload:Subdomain", "share"),
            ("Modules:HttpUpload:ServiceNames:example.com", "files.example.com"),
            ("Modules:HttpUpload:MaxFileSize", "104857600"),
            ("Modules:HttpUpload:Folder", "/srv/uploads"),
            ("Modules:HttpUpload:BaseUrl", "https://@HOST@/xmpp"),
            ("Modules:HttpUpload:SlotLifetimeSeconds", "600"),
            ("Modules:HttpUpload:ExpireAfterDays", "30"));

        var upload = options.Modules.HttpUpload;
        upload.ServiceFor("example.com").Should().Be("files.example.com");
        upload.ServiceFor("example.org").Should().Be("share.example.org");
        upload.MaxFileSize.Should().Be(100 * 1024 * 1024);
        upload.Folder.Should().Be("/srv/uploads");
        upload.BaseUrl.Should().Be("https://@HOST@/xmpp");
        upload.SlotLifetimeSeconds.Should().Be(600);
        upload.ExpireAfterDays.Should().Be(30);
    }

    [Fact]
    public void Bind_Proxy65Sections_BindEveryKey_ListenerOffOn7777ByDefault()
    {
        var defaults = Load(null);
        var options = Load(
            null,
            ("Listeners:Proxy65:Enabled", "true"),
            ("Listeners:Proxy65:Port", "7778"),
            ("Listeners:Proxy65:Address", "192.0.2.1"),
            ("Modules:Proxy65:Subdomain", "relay"),
            ("Modules:Proxy65:Host", "files.@HOST@"),
            ("Modules:Proxy65:ActivationTimeoutSeconds", "60"),
            ("Modules:Proxy65:Access", "all"));

        (defaults.Listeners.Proxy65.Enabled, defaults.Listeners.Proxy65.Port).Should().Be((false, 7777));
        (options.Listeners.Proxy65.Enabled, options.Listeners.Proxy65.Port, options.Listeners.Proxy65.Address).Should().Be((true, 7778, "192.0.2.1"));
        var proxy = options.Modules.Proxy65;
        proxy.ServiceFor("example.com").Should().Be("relay.example.com");
        proxy.Host.Should().Be("files.@HOST@");
        proxy.ActivationTimeoutSeconds.Should().Be(60);
        proxy.Access.Should().Be("all");
    }

    [Fact]
    public void Bind_PubsubSection_BindsEveryKey_AndNamesABadOne()
    {
        var options = Load(
            null,
            ("Modules:Pubsub:Subdomain", "events"),
            ("Modules:Pubsub:NodeCreation", "Admins"),
            ("Modules:Pubsub:MaxItems", "1000"),
            ("Modules:Pubsub:MaxPayloadBytes", "262144"),
            ("Modules:Pubsub:MaxNodesPerOwner", "5"));

        var pubsub = options.Modules.Pubsub;
        pubsub.ServiceFor("example.com").Should().Be("events.example.com");
        pubsub.NodeCreation.Should().Be(Rookery.Modules.Pubsub.NodeCreation.Admins);
        (pubsub.MaxItems, pubsub.MaxPayloadBytes, pubsub.MaxNodesPerOwner).Should().Be((1000, 262144, 5));
        var act = () => Load(null, ("Modules:Pubsub:MaxPayloadBytes", "10"));
        act.Should().Throw<ConfigurationException>().Which.Message.Should().Contain("'Modules:Pubsub:MaxPayloadBytes'");
    }

    [Fact]
    public void Bind_ExternalServicesSection_BindsEveryKey()
    {
        var file = _folder.Write("rookery.json", """
            {
              "Modules": {
                "ExternalServices": {
                  "CredentialLifetime": "12:00:00",
                  "Services": [
                    { "Type": "stun", "Host": "stun.example.com", "Port": 3478, "Name": "STUN" },
                    { "Type": "turn", "Host": "turn.example.com", "Port": 3478, "Transport": "tcp", "Secret": "coturn-secret" },
                    { "Type": "turns", "Host": "turn.example.com", "Port": 5349, "Username": "u", "Password": "p" }
                  ]
                }
              }
            }
            """);

        var options = Load(file).Modules.ExternalServices;

        options.CredentialLifetime.Should().Be(TimeSpan.FromHours(12));
        options.Services.Select(s => (s.Type, s.Host, s.Port, s.EffectiveTransport, s.Name, s.Secret, s.Username, s.Password, s.IsRestricted)).Should().Equal(
            ("stun", "stun.example.com", 3478, "udp", "STUN", "", "", "", false),
            ("turn", "turn.example.com", 3478, "tcp", "", "coturn-secret", "", "", true),
            ("turns", "turn.example.com", 5349, "tcp", "", "", "u", "p", true));
        Load(null).Modules.ExternalServices.Services.Should().BeEmpty("a default install announces no service it cannot serve");
    }

    [Theory]
    [InlineData("Type", "ftp", "Modules:ExternalServices:Services:0:Type")]
    [InlineData("Host", "", "Modules:ExternalServices:Services:0:Host")]
    [InlineData("Port", "70000", "Modules:ExternalServices:Services:0:Port")]
    [InlineData("Transport", "sctp", "Modules:ExternalServices:Services:0:Transport")]
    [InlineData("Password", "p", "Modules:ExternalServices:Services:0:Secret")]
    public void Bind_ExternalServiceInvalid_ThrowsNamingTheKey(string key, string value, string named)
    {
        // A good TURN service with a secret, then one key changed.
        var settings = new Dictionary<string, string>
        {
            ["Modules:ExternalServices:Services:0:Type"] = "turn",
            ["Modules:ExternalServices:Services:0:Host"] = "turn.example.com",
            ["Modules:ExternalServices:Services:0:Port"] = "3478",
            ["Modules:ExternalServices:Services:0:Secret"] = "s",
        };
        settings[$"Modules:ExternalServices:Services:0:{key}"] = value;

        var act = () => Load(null, [.. settings.Select(s => (s.Key, s.Value))]);

        act.Should().Throw<ConfigurationException>().Which.Message.Should().Contain($"'{named}'");
    }

    [Fact]
    public void Bind_ExternalServicesLifetimeTooShort_ThrowsNamingTheKey()
    {
        var act = () => Load(null, ("Modules:ExternalServices:CredentialLifetime", "00:00:30"));

        act.Should().Throw<ConfigurationException>().Which.Message.Should().Contain("'Modules:ExternalServices:CredentialLifetime'");
    }

    [Fact]
    public void Bind_BoshLimits_ReachTheServerOptions()
    {
        var options = Load(null, ("Bosh:MaxWaitSeconds", "30"), ("Bosh:MaxInactivitySeconds", "90"));

        options.ToServerOptions().Bosh.MaxWaitSeconds.Should().Be(30);
        options.ToServerOptions().Bosh.MaxInactivitySeconds.Should().Be(90);
    }

    [Fact]
    public void Bind_ComponentDomainThatIsAlsoAHost_Throws()
    {
        var act = () => Load(null, ("Hosts:example.com:TlsRequired", "false"), ("Components:example.com:Secret", "s"));

        act.Should().Throw<ConfigurationException>()
            .Which.Message.Should().Contain("'Components:example.com'");
    }

    [Theory]
    [InlineData("""{ "Bogus": 1 }""", "Bogus")]
    [InlineData("""{ "Listeners": { "Client": { "Prot": 5222 } } }""", "Listeners:Client:Prot")]
    [InlineData("""{ "Hosts": { "example.com": { "TlsRequird": true } } }""", "Hosts:example.com:TlsRequird")]
    [InlineData("""{ "Storage": { "MySql": { "ConnectionString": "x" } } }""", "Storage:MySql")]
    [InlineData("""{ "Limits": { "MaxDepth": { "Value": 5 } } }""", "Limits:MaxDepth:Value")]
    public void Bind_UnknownKeyInFile_ThrowsNamingTheFullKeyAndTheFile(string json, string key)
    {
        var file = _folder.Write("node.json", json);

        var act = () => Load(file);

        act.Should().Throw<ConfigurationException>()
            .Which.Message.Should().Contain($"'{key}'").And.Contain("node.json");
    }

    [Fact]
    public void Bind_UnknownKeyFromSwitch_ThrowsNamingItAndTheCommandLine()
    {
        var act = () => RookeryConfiguration.Bind(RookeryConfiguration.Build(null, null, ["--Limits:MaxStanzaByte=5"]));

        act.Should().Throw<ConfigurationException>()
            .Which.Message.Should().Contain("'Limits:MaxStanzaByte'").And.Contain("command line");
    }

    [Theory]
    [InlineData("Listeners:Client:Port", "70000", "Listeners:Client:Port")]
    [InlineData("Listeners:DirectTls:Port", "-1", "Listeners:DirectTls:Port")]
    [InlineData("Listeners:Component:Port", "70000", "Listeners:Component:Port")]
    [InlineData("Listeners:Server:Port", "70000", "Listeners:Server:Port")]
    [InlineData("Listeners:ServerDirectTls:Port", "70000", "Listeners:ServerDirectTls:Port")]
    [InlineData("Listeners:ServerDirectTls:Address", "somewhere", "Listeners:ServerDirectTls:Address")]
    [InlineData("S2S:Routes:example.org", "host:notaport", "S2S:Routes:example.org")]
    [InlineData("S2S:Routes:a b", "127.0.0.1:5269", "S2S:Routes:a b")]
    [InlineData("S2S:IdleTimeoutSeconds", "0", "S2S:IdleTimeoutSeconds")]
    [InlineData("S2S:ConnectTimeoutSeconds", "0", "S2S:ConnectTimeoutSeconds")]
    [InlineData("S2S:MaxQueuedStanzas", "0", "S2S:MaxQueuedStanzas")]
    [InlineData("Components:a b:Secret", "s", "Components:a b")]
    [InlineData("Listeners:Client:Address", "somewhere", "Listeners:Client:Address")]
    [InlineData("Hosts:a b:TlsRequired", "true", "Hosts:a b")]
    [InlineData("Admins:0", "notajid", "Admins:0")]
    [InlineData("Hosts:example.com:Admins:0", "notajid", "Hosts:example.com:Admins:0")]
    [InlineData("Limits:MaxStanzaBytes", "10", "Limits:MaxStanzaBytes")]
    [InlineData("Limits:MaxStanzaBytes", "lots", "Limits:MaxStanzaBytes")]
    [InlineData("Storage:Provider", "oracle", "Storage:Provider")]
    [InlineData("Storage:Sqlite:Path", "", "Storage:Sqlite:Path")]
    [InlineData("DataDirectory", " ", "DataDirectory")]
    [InlineData("Auth:ScramIterations", "0", "Auth:ScramIterations")]
    [InlineData("Auth:MaxFailureDelayMilliseconds", "10", "Auth:MaxFailureDelayMilliseconds")]
    [InlineData("Hosts:example.com:KeyPath", "/nonexistent.key", "Hosts:example.com:KeyPath")]
    [InlineData("Hosts:example.com:CertificatePath", "/nonexistent.pem", "Hosts:example.com:CertificatePath")]
    [InlineData("Modules:HttpUpload:MaxFileSize", "0", "Modules:HttpUpload:MaxFileSize")]
    [InlineData("Modules:HttpUpload:BaseUrl", "files.example.com", "Modules:HttpUpload:BaseUrl")]
    [InlineData("Modules:HttpUpload:SlotLifetimeSeconds", "1", "Modules:HttpUpload:SlotLifetimeSeconds")]
    [InlineData("Modules:HttpUpload:Subdomain", "", "Modules:HttpUpload:Subdomain")]
    [InlineData("Modules:Proxy65:Access", "everyone", "Modules:Proxy65:Access")]
    [InlineData("Modules:Proxy65:ActivationTimeoutSeconds", "0", "Modules:Proxy65:ActivationTimeoutSeconds")]
    [InlineData("Modules:Proxy65:Host", "not a host", "Modules:Proxy65:Host")]
    [InlineData("Listeners:Proxy65:Port", "70000", "Listeners:Proxy65:Port")]
    [InlineData("Listeners:Proxy65:Address", "somewhere", "Listeners:Proxy65:Address")]
    public void Bind_InvalidValue_ThrowsNamingTheKey(string key, string value, string named)
    {
        var act = () => Load(null, (key, value));

        act.Should().Throw<ConfigurationException>()
            .Which.Message.Should().Contain($"'{named}'");
    }

    [Theory]
    [InlineData("Cluster:SeedNodes:0", "no-port", "'Cluster:SeedNodes:0' must be host:port or name=host:port")]
    [InlineData("Cluster:Tls:Enabled", "true", "'Cluster:Tls:CertificatePath' must name the link certificate")]
    [InlineData("Cluster:Tls:CertificatePath", "/nonexistent.crt", "'Cluster:Tls:CertificatePath' file '/nonexistent.crt' does not exist")]
    [InlineData("Cluster:LinkWriteInterval", "00:00:02", "'Cluster:LinkWriteInterval' must be between 00:00:00 and 00:00:01")]
    [InlineData("Cluster:LinkWriteInterval", "-00:00:00.001", "'Cluster:LinkWriteInterval' must be between 00:00:00 and 00:00:01")]
    public void Bind_BadClusterLinkSetting_ThrowsNamingTheKey(string key, string value, string message)
    {
        var settings = new List<(string, string)>
        {
            ("Storage:Provider", "postgres"), ("Storage:Postgres:ConnectionString", "Host=db"),
            ("Cluster:Enabled", "true"), ("Cluster:Secret", "a-cluster-secret-for-tests"), (key, value),
        };
        if (key.StartsWith("Cluster:Tls:Certificate", StringComparison.Ordinal))
        {
            settings.Add(("Cluster:Tls:Enabled", "true"));
        }

        var act = () => Load(null, [.. settings]);

        act.Should().Throw<ConfigurationException>().Which.Message.Should().Contain(message);
    }

    [Fact]
    public void Bind_ClusterSeedNodesAndTls_Bound()
    {
        var cert = _folder.Write("link.crt", "not read at bind time");
        var options = Load(
            null,
            ("Cluster:SeedNodes:0", "node-b=10.0.0.2:5277"),
            ("Cluster:SeedNodes:1", "[fd00::3]:5277"),
            ("Cluster:Tls:Enabled", "true"),
            ("Cluster:Tls:CertificatePath", cert),
            ("Cluster:Tls:TrustedCertificatesPath", cert));

        options.Cluster.SeedNodes.Should().Equal("node-b=10.0.0.2:5277", "[fd00::3]:5277");
        options.Cluster.Tls.Enabled.Should().BeTrue();
        options.Cluster.Tls.CertificatePath.Should().Be(cert);
        options.Cluster.Tls.TrustedCertificatesPath.Should().Be(cert);
    }

    [Fact]
    public void Bind_PostgresProvider_BindsConnectionStringAndSchema()
    {
        var options = Load(
            null,
            ("Storage:Provider", "postgres"),
            ("Storage:Postgres:ConnectionString", "Host=db.internal;Username=rookery;Password=s3cret;Database=rookery;Maximum Pool Size=50"),
            ("Storage:Postgres:Schema", "chat"));

        options.Storage.Provider.Should().Be("postgres");
        options.Storage.Postgres.ConnectionString.Should().Contain("Maximum Pool Size=50");
        options.Storage.Postgres.Schema.Should().Be("chat");
        new RookeryOptions().Storage.Postgres.Schema.Should().Be("public", "the schema defaults to public");
    }

    [Fact]
    public void Bind_SqliteProvider_IgnoresPostgresSettings()
    {
        var options = Load(null, ("Storage:Postgres:Schema", "Not A Schema"));

        options.Storage.Provider.Should().Be("sqlite");
    }

    [Theory]
    [InlineData("postgres", "", "public", "'Storage:Postgres:ConnectionString' must be set when Storage:Provider is postgres")]
    [InlineData("Postgres", "Username=rookery;Password=x", "public", "'Storage:Postgres:ConnectionString' has no Host")]
    [InlineData("postgres", "Host=db;Bogus=1", "public", "'Storage:Postgres:ConnectionString' is not a valid Npgsql connection string")]
    [InlineData("postgres", "Host=db", "Chat-Schema", "'Storage:Postgres:Schema' 'Chat-Schema' may contain only lower-case letters")]
    [InlineData("postgres", "Host=db", "pg_catalog", "'Storage:Postgres:Schema' 'pg_catalog' must not start with")]
    [InlineData("mysql", "Host=db", "public", "'Storage:Provider' 'mysql' is not a known backend (sqlite, postgres)")]
    public void Bind_PostgresSettingInvalid_ThrowsNamingTheKey(string provider, string connectionString, string schema, string message)
    {
        var act = () => Load(
            null,
            ("Storage:Provider", provider),
            ("Storage:Postgres:ConnectionString", connectionString),
            ("Storage:Postgres:Schema", schema));

        act.Should().Throw<ConfigurationException>().Which.Message.Should().Contain(message);
    }

    [Fact]
    public void Bind_PostgresConnectionStringInvalid_DoesNotRepeatThePassword()
    {
        var act = () => Load(null, ("Storage:Provider", "postgres"), ("Storage:Postgres:ConnectionString", "Host=db;Password=hunter2;Bogus=1"));

        act.Should().Throw<ConfigurationException>().Which.Message.Should().NotContain("hunter2");
    }

    [Fact]
    public void Build_JsonSyntaxError_ThrowsWithFileAndLine()
    {
        var file = _folder.Write("broken.json", "{\n  \"Hosts\": {\n    \"localhost\": { \"TlsRequired\": tru }\n  }\n}\n");

        var act = () => RookeryConfiguration.Build(file);

        act.Should().Throw<ConfigurationException>()
            .Which.Message.Should().Contain("broken.json").And.Contain("not valid JSON").And.Contain("line 3");
    }

    [Fact]
    public void Build_MissingFile_ThrowsNamingIt()
    {
        var missing = _folder.Combine("nope.json");

        var act = () => RookeryConfiguration.Build(missing);

        act.Should().Throw<ConfigurationException>()
            .Which.Message.Should().Contain("nope.json").And.Contain("does not exist");
    }

    private static RookeryOptions Load(string? file, params (string Key, string Value)[] overrides) =>
        RookeryConfiguration.Bind(RookeryConfiguration.Build(
            file, overrides.Select(o => new KeyValuePair<string, string?>(o.Key, o.Value))));

    private static string Json<T>(T value) => JsonSerializer.Serialize(value);

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Rookery.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Rookery.slnx not found");
    }
}
