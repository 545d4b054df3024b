using System.Text;
using Rookery.Protocol.Sasl;
using Rookery.TestKit;

namespace Rookery.Protocol.Tests.Sasl;

public sealed class ScramServerExchangeTests
{
    private static readonly byte[] Rfc5802Salt = Convert.FromBase64String("QSXCR+Q6sek8bf92");
    private static readonly byte[] Rfc7677Salt = Convert.FromBase64String("W22ZaJ0SNY7soEsUEjb6gQ==");
    private static readonly ChannelBinding Binding = new(ChannelBinding.TlsServerEndPointType, [1, 2, 3, 4, 5, 6, 7, 8]);

    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    private static string S(byte[] b) => Encoding.UTF8.GetString(b);

    [Fact]
    public void Rfc5802Sha1Vector_EndToEnd_MessagesAreByteExact()
    {
        var keys = ScramKeys.Derive(ScramHash.Sha1, "pencil", Rfc5802Salt, 4096);
        var server = new ScramServerExchange(ScramHash.Sha1, plus: false, serverBinding: null) { NonceFactory = () => "3rfcNHYJY1ZVvWVs7j" };

        var first = server.ReadClientFirst(U("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"));
        first.Should().Be(new ScramClientFirst("user", null));
        server.Username.Should().Be("user");

        S(server.CreateServerFirst(keys)).Should().Be("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
        var final = server.VerifyClientFinal(U("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="));
        S(final).Should().Be("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
        server.IsCompleted.Should().BeTrue();
    }

    [Fact]
    public void Rfc7677Sha256Vector_EndToEnd_MessagesAreByteExact()
    {
        var keys = ScramKeys.Derive(ScramHash.Sha256, "pencil", Rfc7677Salt, 4096);
        var server = new ScramServerExchange(ScramHash.Sha256, plus: false, serverBinding: null) { NonceFactory = () => "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0" };

        server.ReadClientFirst(U("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
        S(server.CreateServerFirst(keys)).Should().Be("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
        var final = server.VerifyClientFinal(U("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));
        S(final).Should().Be("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    }

    [Fact]
    public void Rfc5802Sha1Vector_WrongProof_NotAuthorized()
    {
        var keys = ScramKeys.Derive(ScramHash.Sha1, "pencil", Rfc5802Salt, 4096);
        var server = new ScramServerExchange(ScramHash.Sha1, false, serverBinding: null) { NonceFactory = () => "3rfcNHYJY1ZVvWVs7j" };
        server.ReadClientFirst(U("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"));
        server.CreateServerFirst(keys);

        // First proof character changed (the last one partly encodes ignored padding bits).
        var act = () => server.VerifyClientFinal(U("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=w0X8v3Bz2T0CJGbJQyF0X+HI4Ts="));
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.NotAuthorized);
        server.IsCompleted.Should().BeFalse();
    }

    [Theory]
    [InlineData(ScramHash.Sha1)]
    [InlineData(ScramHash.Sha256)]
    [InlineData(ScramHash.Sha512)]
    public void FullExchange_RandomNonce_ClientVerifiesServer(ScramHash hash)
    {
        var keys = ScramKeys.Create(hash, "correct horse", 4096);
        var server = new ScramServerExchange(hash, false, serverBinding: null);
        var client = new ScramClient(hash, "juliet", "correct horse", "clientnonce123");

        server.ReadClientFirst(client.ClientFirst()).Username.Should().Be("juliet");
        var serverFirst = server.CreateServerFirst(keys);
        var nonce = S(serverFirst).Split(',')[0][2..];
        nonce.Should().StartWith("clientnonce123");
        Convert.FromBase64String(nonce["clientnonce123".Length..]).Should().HaveCount(24);
        client.VerifyServerFinal(server.VerifyClientFinal(client.ClientFinal(serverFirst))).Should().BeTrue();
    }

    [Fact]
    public void ServerNonce_IsFreshPerExchange()
    {
        var keys = ScramKeys.Create(ScramHash.Sha256, "pw", 4096);
        string Nonce()
        {
            var server = new ScramServerExchange(ScramHash.Sha256, false, serverBinding: null);
            server.ReadClientFirst(U("n,,n=u,r=abc"));
            return S(server.CreateServerFirst(keys)).Split(',')[0];
        }

        Nonce().Should().NotBe(Nonce());
    }

    [Theory]
    [InlineData(ScramHash.Sha1)]
    [InlineData(ScramHash.Sha256)]
    [InlineData(ScramHash.Sha512)]
    public void VerifyClientFinal_WrongPassword_NotAuthorized(ScramHash hash)
    {
        var keys = ScramKeys.Create(hash, "right", 4096);
        var server = new ScramServerExchange(hash, false, serverBinding: null);
        var client = new ScramClient(hash, "juliet", "wrong", "n0nce");
        server.ReadClientFirst(client.ClientFirst());
        var final = client.ClientFinal(server.CreateServerFirst(keys));

        var act = () => server.VerifyClientFinal(final);
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.NotAuthorized);
    }

    [Fact]
    public void UnknownUser_NormalLookingServerFirst_ThenNotAuthorized()
    {
        var server = new ScramServerExchange(ScramHash.Sha256, false, serverBinding: null) { UnknownUserIterations = 5000 };
        var client = new ScramClient(ScramHash.Sha256, "ghost", "anything", "n0nce");
        server.ReadClientFirst(client.ClientFirst());
        var serverFirst = S(server.CreateServerFirst(null));

        serverFirst.Should().MatchRegex("^r=n0nce[A-Za-z0-9+/=]{32},s=[A-Za-z0-9+/=]{24},i=5000$");
        var act = () => server.VerifyClientFinal(client.ClientFinal(U(serverFirst)));
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.NotAuthorized);
    }

    [Fact]
    public void UnknownUser_SaltIsStablePerUsernameAndDiffersBetweenUsers()
    {
        static string Salt(string user)
        {
            var server = new ScramServerExchange(ScramHash.Sha256, false, serverBinding: null);
            server.ReadClientFirst(U($"n,,n={user},r=abc"));
            return S(server.CreateServerFirst(null)).Split(',')[1];
        }

        Salt("ghost").Should().Be(Salt("ghost"));
        Salt("ghost").Should().NotBe(Salt("other"));
    }

    [Fact]
    public void Plus_CorrectBindingData_Succeeds()
    {
        var keys = ScramKeys.Create(ScramHash.Sha256, "pw", 4096);
        var server = new ScramServerExchange(ScramHash.Sha256, plus: true, Binding);
        var client = new ScramClient(ScramHash.Sha256, "juliet", "pw", "n0nce", "p=tls-server-end-point,,", Binding.Data);
        server.ReadClientFirst(client.ClientFirst());
        var final = client.ClientFinal(server.CreateServerFirst(keys));

        client.VerifyServerFinal(server.VerifyClientFinal(final)).Should().BeTrue();
    }

    [Theory]
    [InlineData("tls-server-end-point", 1)]
    [InlineData("tls-unique", 2)]
    public void Plus_SeveralBindings_ClientPicksOne(string type, byte data)
    {
        ChannelBinding[] bindings = [new("tls-server-end-point", [1, 1]), new("tls-unique", [2, 2])];
        var keys = ScramKeys.Create(ScramHash.Sha256, "pw", 4096);

        var good = new ScramServerExchange(ScramHash.Sha256, plus: true, bindings);
        var client = new ScramClient(ScramHash.Sha256, "juliet", "pw", "n0nce", $"p={type},,", [data, data]);
        good.ReadClientFirst(client.ClientFirst());
        client.VerifyServerFinal(good.VerifyClientFinal(client.ClientFinal(good.CreateServerFirst(keys)))).Should().BeTrue();

        // The other type's data must not verify for this type.
        var bad = new ScramServerExchange(ScramHash.Sha256, plus: true, bindings);
        var other = (byte)(3 - data);
        var wrong = new ScramClient(ScramHash.Sha256, "juliet", "pw", "n0nce", $"p={type},,", [other, other]);
        bad.ReadClientFirst(wrong.ClientFirst());
        var final = wrong.ClientFinal(bad.CreateServerFirst(keys));
        bad.Invoking(b => b.VerifyClientFinal(final)).Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.NotAuthorized);
    }

    [Fact]
    public void Plus_WrongBindingData_NotAuthorized()
    {
        var keys = ScramKeys.Create(ScramHash.Sha256, "pw", 4096);
        var server = new ScramServerExchange(ScramHash.Sha256, plus: true, Binding);
        var client = new ScramClient(ScramHash.Sha256, "juliet", "pw", "n0nce", "p=tls-server-end-point,,", [9, 9, 9]);
        server.ReadClientFirst(client.ClientFirst());
        var final = client.ClientFinal(server.CreateServerFirst(keys));

        var act = () => server.VerifyClientFinal(final);
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.NotAuthorized);
    }

    [Fact]
    public void Plus_BindingDataMissingFromCbind_NotAuthorized()
    {
        // A client that strips the binding data (only the GS2 header in c=) must not pass a -PLUS exchange.
        var keys = ScramKeys.Create(ScramHash.Sha256, "pw", 4096);
        var server = new ScramServerExchange(ScramHash.Sha256, plus: true, Binding);
        var client = new ScramClient(ScramHash.Sha256, "juliet", "pw", "n0nce", "p=tls-server-end-point,,", []);
        server.ReadClientFirst(client.ClientFirst());
        var final = client.ClientFinal(server.CreateServerFirst(keys));

        var act = () => server.VerifyClientFinal(final);
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.NotAuthorized);
    }

    [Fact]
    public void CbindHeaderDiffersFromClientFirst_NotAuthorized()
    {
        // c= must repeat the GS2 header of client-first; "biws" is "n,," but client-first used an authzid.
        var keys = ScramKeys.Create(ScramHash.Sha256, "pw", 4096);
        var server = new ScramServerExchange(ScramHash.Sha256, false, serverBinding: null);
        var client = new ScramClient(ScramHash.Sha256, "juliet", "pw", "n0nce", "n,a=juliet@example.com,");
        server.ReadClientFirst(client.ClientFirst());
        var final = client.ClientFinal(server.CreateServerFirst(keys), overrideChannelBinding: "biws");

        var act = () => server.VerifyClientFinal(final);
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.NotAuthorized);
    }

    [Fact]
    public void Authzid_IsDecodedAndExchangeSucceeds()
    {
        var keys = ScramKeys.Create(ScramHash.Sha256, "pw", 4096);
        var server = new ScramServerExchange(ScramHash.Sha256, false, serverBinding: null);
        var client = new ScramClient(ScramHash.Sha256, "a,b=c", "pw", "n0nce", "n,a=admin=2Cx=3Dy@example.com,");
        var first = server.ReadClientFirst(client.ClientFirst());

        first.Should().Be(new ScramClientFirst("a,b=c", "admin,x=y@example.com"));
        server.Authzid.Should().Be("admin,x=y@example.com");
        client.VerifyServerFinal(server.VerifyClientFinal(client.ClientFinal(server.CreateServerFirst(keys)))).Should().BeTrue();
    }

    [Fact]
    public void WrongNonce_NotAuthorized()
    {
        var keys = ScramKeys.Create(ScramHash.Sha256, "pw", 4096);
        var server = new ScramServerExchange(ScramHash.Sha256, false, serverBinding: null) { NonceFactory = () => "server" };
        var client = new ScramClient(ScramHash.Sha256, "juliet", "pw", "n0nce");
        server.ReadClientFirst(client.ClientFirst());
        var final = client.ClientFinal(server.CreateServerFirst(keys), overrideNonce: "n0nceSERVER");

        var act = () => server.VerifyClientFinal(final);
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.NotAuthorized);
    }

    [Fact]
    public void YFlag_ServerAdvertisesPlus_NotAuthorizedAsDowngrade()
    {
        var server = new ScramServerExchange(ScramHash.Sha256, plus: false, Binding);
        server.ServerAdvertisesPlus.Should().BeTrue();

        var act = () => server.ReadClientFirst(U("y,,n=user,r=abc"));
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.NotAuthorized);
    }

    [Fact]
    public void YFlag_ServerDoesNotAdvertisePlus_Accepted()
    {
        var keys = ScramKeys.Create(ScramHash.Sha256, "pw", 4096);
        var server = new ScramServerExchange(ScramHash.Sha256, plus: false, serverBinding: null);
        var client = new ScramClient(ScramHash.Sha256, "juliet", "pw", "n0nce", "y,,");
        server.ReadClientFirst(client.ClientFirst());

        client.VerifyServerFinal(server.VerifyClientFinal(client.ClientFinal(server.CreateServerFirst(keys)))).Should().BeTrue();
    }

    [Fact]
    public void YFlag_AdvertisedPlusSetExplicitly_NotAuthorized()
    {
        var server = new ScramServerExchange(ScramHash.Sha1, plus: false, serverBinding: null) { ServerAdvertisesPlus = true };

        var act = () => server.ReadClientFirst(U("y,,n=user,r=abc"));
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.NotAuthorized);
    }

    [Theory]
    [InlineData("n,,n=user,r=abc")]
    [InlineData("y,,n=user,r=abc")]
    public void PlusMechanism_WithoutPFlag_MalformedRequest(string message)
    {
        var server = new ScramServerExchange(ScramHash.Sha256, plus: true, Binding);

        var act = () => server.ReadClientFirst(U(message));
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.MalformedRequest);
    }

    [Fact]
    public void NonPlusMechanism_WithPFlag_MalformedRequest()
    {
        var server = new ScramServerExchange(ScramHash.Sha256, plus: false, Binding);

        var act = () => server.ReadClientFirst(U("p=tls-server-end-point,,n=user,r=abc"));
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.MalformedRequest);
    }

    [Fact]
    public void PlusMechanism_UnsupportedBindingType_NotAuthorized()
    {
        var server = new ScramServerExchange(ScramHash.Sha256, plus: true, Binding);

        var act = () => server.ReadClientFirst(U("p=tls-unique,,n=user,r=abc"));
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.NotAuthorized);
    }

    [Fact]
    public void PlusMechanism_WithoutServerBinding_Throws()
    {
        var act = () => new ScramServerExchange(ScramHash.Sha256, plus: true, serverBinding: null);
        act.Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData("")]
    [InlineData("x,,n=user,r=abc")]
    [InlineData("n,n=user,r=abc")]
    [InlineData("n,,r=abc")]
    [InlineData("n,,n=,r=abc")]
    [InlineData("n,,n=us=er,r=abc")]
    [InlineData("n,,n=us=2cer,r=abc")]
    [InlineData("n,,n=user")]
    [InlineData("n,,n=user,r=")]
    [InlineData("n,,n=user,r=a b")]
    [InlineData("n,,m=ext,n=user,r=abc")]
    [InlineData("n,,n=user,r=abc,")]
    [InlineData("n,,n=user,r=abc,1=x")]
    [InlineData("p=,,n=user,r=abc")]
    [InlineData("p=bad name,,n=user,r=abc")]
    [InlineData("n,,n=us\0er,r=abc")]
    public void ReadClientFirst_Malformed_MalformedRequest(string message)
    {
        var server = new ScramServerExchange(ScramHash.Sha256, false, serverBinding: null);

        var act = () => server.ReadClientFirst(U(message));
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.MalformedRequest);
    }

    [Fact]
    public void ReadClientFirst_InvalidUtf8_MalformedRequest()
    {
        var server = new ScramServerExchange(ScramHash.Sha256, false, serverBinding: null);

        var act = () => server.ReadClientFirst([.. U("n,,n=us"), 0xC3, 0x28, .. U(",r=abc")]);
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.MalformedRequest);
    }

    [Theory]
    [InlineData("n,a=,n=user,r=abc")]
    [InlineData("n,a=bad=escape,n=user,r=abc")]
    public void ReadClientFirst_BadAuthzid_InvalidAuthzid(string message)
    {
        var server = new ScramServerExchange(ScramHash.Sha256, false, serverBinding: null);

        var act = () => server.ReadClientFirst(U(message));
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.InvalidAuthzid);
    }

    [Fact]
    public void ReadClientFirst_ExtensionsAfterNonce_Accepted()
    {
        var server = new ScramServerExchange(ScramHash.Sha256, false, serverBinding: null);

        server.ReadClientFirst(U("n,,n=user,r=abc,x=ext")).Username.Should().Be("user");
    }

    [Theory]
    [InlineData("")]
    [InlineData("r=abcserver,p=AAAA")]
    [InlineData("c=biws,p=AAAA")]
    [InlineData("c=biws,r=abcserver")]
    [InlineData("c=biws,r=abcserver,p=")]
    [InlineData("c=biws,r=abcserver,p=not*base64")]
    [InlineData("c=not*base64,r=abcserver,p=AAAA")]
    [InlineData("c=biws,r=abcserver,p=AAAA,x=after")]
    [InlineData("c=biws,r=abcserver,,p=AAAA")]
    public void VerifyClientFinal_Malformed_MalformedRequest(string message)
    {
        var keys = ScramKeys.Create(ScramHash.Sha256, "pw", 4096);
        var server = new ScramServerExchange(ScramHash.Sha256, false, serverBinding: null) { NonceFactory = () => "server" };
        server.ReadClientFirst(U("n,,n=user,r=abc"));
        server.CreateServerFirst(keys);

        var act = () => server.VerifyClientFinal(U(message));
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.MalformedRequest);
    }

    [Fact]
    public void VerifyClientFinal_ProofOfWrongLength_NotAuthorized()
    {
        var keys = ScramKeys.Create(ScramHash.Sha256, "pw", 4096);
        var server = new ScramServerExchange(ScramHash.Sha256, false, serverBinding: null) { NonceFactory = () => "server" };
        server.ReadClientFirst(U("n,,n=user,r=abc"));
        server.CreateServerFirst(keys);

        var act = () => server.VerifyClientFinal(U("c=biws,r=abcserver,p=AAAA"));
        act.Should().Throw<SaslException>().Which.Failure.Should().Be(SaslFailure.NotAuthorized);
    }

    [Fact]
    public void Steps_OutOfOrderOrAfterFailure_InvalidOperation()
    {
        var keys = ScramKeys.Create(ScramHash.Sha256, "pw", 4096);
        var server = new ScramServerExchange(ScramHash.Sha256, false, serverBinding: null);
        server.Invoking(s => s.CreateServerFirst(keys)).Should().Throw<InvalidOperationException>();
        server.Invoking(s => s.VerifyClientFinal(U("c=biws,r=x,p=AAAA"))).Should().Throw<InvalidOperationException>();

        server.Invoking(s => s.ReadClientFirst(U("garbage"))).Should().Throw<SaslException>();
        server.Invoking(s => s.ReadClientFirst(U("n,,n=user,r=abc"))).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void CreateServerFirst_KeysForAnotherHash_Throws()
    {
        var server = new ScramServerExchange(ScramHash.Sha256, false, serverBinding: null);
        server.ReadClientFirst(U("n,,n=user,r=abc"));

        server.Invoking(s => s.CreateServerFirst(ScramKeys.Create(ScramHash.Sha1, "pw", 4096))).Should().Throw<ArgumentException>();
    }
}
