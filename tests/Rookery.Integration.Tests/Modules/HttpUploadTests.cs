using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Rookery.Hosting;
using Rookery.Modules.HttpUpload;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Modules;

/// <summary>
/// HTTP File Upload (XEP-0363) over real sockets: a client asks the upload service for a slot over XMPP, PUTs the bytes
/// to the node's HTTP listener with an HTTP client and GETs them back; errors on both sides.
/// </summary>
public sealed class HttpUploadTests
{
    private const string Ns = "urn:xmpp:http:upload:0";

    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task RequestSlot_PutThenGet_SameBytesAndContentType()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        var bytes = RandomBytes(100_000);

        var slot = (await RequestAsync(alice, server, "très cool.jpg", bytes.Length, "image/jpeg")).ShouldBeResult()!;
        var (put, get) = Urls(slot);
        using var stored = await PutAsync(put, bytes, "image/jpeg");
        using var fetched = await Http.GetAsync(get);
        var body = await fetched.Content.ReadAsByteArrayAsync();

        slot.Name.Should().Be("slot");
        slot.Namespace.Should().Be(Ns);
        get.Should().StartWith($"http://{server.Domain}:{server.HttpPort}/upload/").And.EndWith("/tr%C3%A8s%20cool.jpg");
        put.Should().StartWith(get + "?");
        stored.StatusCode.Should().Be(HttpStatusCode.Created);
        stored.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal("*");
        fetched.StatusCode.Should().Be(HttpStatusCode.OK);
        body.Should().Equal(bytes);
        fetched.Content.Headers.ContentType!.MediaType.Should().Be("image/jpeg");
        fetched.Content.Headers.ContentLength.Should().Be(bytes.Length);
        fetched.Headers.GetValues("X-Content-Type-Options").Should().Equal("nosniff");
        fetched.Headers.GetValues("Content-Security-Policy").Should().Equal("default-src 'none'");
        fetched.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal("*");
    }

    [Fact]
    public async Task OnlyHttpsListener_SlotUrlsAreHttpsOnItsPort_RoundTrip()
    {
        await using var server = await TestServer.StartAsync(o => o.Listeners = new ListenerOptions
        {
            Client = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
            DirectTls = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
            Component = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
            Server = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
            Http = new EndpointOptions { Enabled = false },
            Https = new EndpointOptions { Address = "127.0.0.1", Port = 0, Enabled = true },
        });
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        // The host's certificate is self-signed (generated at first start).
        using var https = new HttpClient(new SocketsHttpHandler { UseProxy = false, SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } });

        var (put, get) = Urls((await RequestAsync(alice, server, "a.txt", 5)).ShouldBeResult()!);
        var content = new ByteArrayContent("hello"u8.ToArray());
        using var stored = await https.PutAsync(put, content);

        get.Should().StartWith($"https://{server.Domain}:{server.HttpsPort}/upload/");
        stored.StatusCode.Should().Be(HttpStatusCode.Created);
        (await https.GetStringAsync(get)).Should().Be("hello");
        // The default folder: <DataDirectory>/upload.
        UploadFolderOf(server).Should().EndWith(Path.DirectorySeparatorChar + "upload");
        StoredFiles(server).Should().HaveCount(2, "the file and its sidecar");
    }

    [Fact]
    public async Task Head_StoredFile_HeadersWithoutBody()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        var (put, get) = Urls((await RequestAsync(alice, server, "notes.txt", 11, "text/plain")).ShouldBeResult()!);
        (await PutAsync(put, Encoding.ASCII.GetBytes("hello world"), "text/plain; charset=utf-8")).StatusCode.Should().Be(HttpStatusCode.Created);

        using var head = await Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, get));

        head.StatusCode.Should().Be(HttpStatusCode.OK);
        head.Content.Headers.ContentLength.Should().Be(11);
        head.Content.Headers.ContentType!.ToString().Should().Be("text/plain; charset=utf-8");
        (await head.Content.ReadAsByteArrayAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task RequestSlot_LargerThanMaxFileSize_NotAcceptableWithFileTooLarge()
    {
        await using var server = await TestServer.StartAsync(o => ModuleTestExtensions.SetInit(o.Modules.HttpUpload, nameof(HttpUploadOptions.MaxFileSize), 5000L));
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var atLimit = await RequestAsync(alice, server, "a.bin", 5000);
        var over = await RequestAsync(alice, server, "b.bin", 5001);

        atLimit.ShouldBeResult();
        over.ShouldBeError(StanzaErrorCondition.NotAcceptable);
        var error = over.Child("error", "jabber:client")!;
        error.GetAttribute("type").Should().Be("modify");
        error.Child("file-too-large", Ns)!.ChildText("max-file-size", Ns).Should().Be("5000");
    }

    [Theory]
    [InlineData("filename='a.txt'")]
    [InlineData("size='10'")]
    [InlineData("filename='' size='10'")]
    [InlineData("filename='dir/a.txt' size='10'")]
    [InlineData("filename='..' size='10'")]
    [InlineData("filename='a.txt' size='0'")]
    [InlineData("filename='a.txt' size='-5'")]
    [InlineData("filename='a.txt' size='ten'")]
    [InlineData("filename='a.txt' size='99999999999999999999999'")]
    public async Task RequestSlot_MissingOrInvalidFilenameOrSize_BadRequest(string attributes)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var reply = await alice.GetAsync($"upload.{server.Domain}", $"<request xmlns='{Ns}' {attributes}/>");

        reply.ShouldBeError(StanzaErrorCondition.BadRequest);
    }

    [Fact]
    public async Task RequestSlot_UserOfAnotherHost_Forbidden()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Hosts["localhost"] = new HostOptions();
            o.Hosts["other.test"] = new HostOptions();
        });
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var foreign = await alice.GetAsync("upload.other.test", $"<request xmlns='{Ns}' filename='a.txt' size='10'/>");
        var own = await alice.GetAsync("upload.localhost", $"<request xmlns='{Ns}' filename='a.txt' size='10'/>");

        foreign.ShouldBeError(StanzaErrorCondition.Forbidden);
        own.ShouldBeResult();
    }

    [Fact]
    public async Task Service_OtherIqAndMessage_ServiceUnavailable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var version = await alice.GetAsync($"upload.{server.Domain}", "<query xmlns='jabber:iq:version'/>");
        var set = await alice.SetAsync($"upload.{server.Domain}", $"<request xmlns='{Ns}' filename='a.txt' size='10'/>");
        await alice.SendAsync($"<message to='upload.{server.Domain}' id='m1'><body>hi</body></message>");
        var bounce = await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "m1");

        version.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        set.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        bounce.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        bounce.GetAttribute("from").Should().Be($"upload.{server.Domain}");
    }

    [Fact]
    public async Task DiscoItemsAndInfo_UploadServiceListedWithStoreFileIdentityAndMaxFileSize()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var items = (await alice.GetAsync(server.Domain, "<query xmlns='http://jabber.org/protocol/disco#items'/>")).ShouldBeResult()!;
        var info = (await alice.GetAsync($"upload.{server.Domain}", "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeResult()!;

        items.Elements().Should().Contain(e => e.GetAttribute("jid") == $"upload.{server.Domain}" && e.GetAttribute("name") == "HTTP File Upload");
        var identity = info.Elements().Single(e => e.Name == "identity");
        (identity.GetAttribute("category"), identity.GetAttribute("type"), identity.GetAttribute("name")).Should().Be(("store", "file", "HTTP File Upload"));
        info.Elements().Where(e => e.Name == "feature").Select(e => e.GetAttribute("var")).Should().Contain(Ns);
        var form = info.Child("x", "jabber:x:data")!;
        form.GetAttribute("type").Should().Be("result");
        var fields = form.Elements().Where(e => e.Name == "field").ToDictionary(f => f.GetAttribute("var")!, f => f.ChildText("value", "jabber:x:data"));
        fields["FORM_TYPE"].Should().Be(Ns);
        fields["max-file-size"].Should().Be(HttpUploadOptions.DefaultMaxFileSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task ModuleDisabled_NotListedNoServiceNoHttpEndpoint()
    {
        await using var server = await TestServer.StartAsync(o => o.DisabledModules.Add("http_upload"));
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var items = (await alice.GetAsync(server.Domain, "<query xmlns='http://jabber.org/protocol/disco#items'/>")).ShouldBeResult()!;
        var request = await alice.GetAsync($"upload.{server.Domain}", $"<request xmlns='{Ns}' filename='a.txt' size='10'/>");
        using var put = await Http.PutAsync($"http://127.0.0.1:{server.HttpPort}/upload/{UploadSignatures.NewId()}/a.txt", new ByteArrayContent(new byte[10]));

        items.Elements().Select(e => e.GetAttribute("jid")).Should().NotContain($"upload.{server.Domain}");
        request.GetAttribute("type").Should().Be("error");
        put.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ModuleDisabledOnOneHost_OnlyThatHostLosesTheService()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Hosts["localhost"] = new HostOptions();
            o.Hosts["other.test"] = new HostOptions { DisabledModules = ["http_upload"] };
        });
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var localItems = (await alice.GetAsync("localhost", "<query xmlns='http://jabber.org/protocol/disco#items'/>")).ShouldBeResult()!;
        var otherItems = (await alice.GetAsync("other.test", "<query xmlns='http://jabber.org/protocol/disco#items'/>")).ShouldBeResult()!;
        var otherInfo = await alice.GetAsync("upload.other.test", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
        var localInfo = await alice.GetAsync("upload.localhost", "<query xmlns='http://jabber.org/protocol/disco#info'/>");

        localItems.Elements().Select(e => e.GetAttribute("jid")).Should().Contain("upload.localhost");
        otherItems.Elements().Select(e => e.GetAttribute("jid")).Should().NotContain("upload.other.test");
        otherInfo.GetAttribute("type").Should().Be("error", "no service runs on upload.other.test");
        localInfo.ShouldBeResult();
    }

    [Fact]
    public async Task NoHttpListener_ServiceNotListed()
    {
        await using var server = await TestServer.StartAsync(o => o.Listeners = new ListenerOptions
        {
            Client = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
            DirectTls = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
            Component = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
            Server = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
            Http = new EndpointOptions { Enabled = false },
        });
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var items = (await alice.GetAsync(server.Domain, "<query xmlns='http://jabber.org/protocol/disco#items'/>")).ShouldBeResult()!;

        items.Elements().Select(e => e.GetAttribute("jid")).Should().BeEquivalentTo($"conference.{server.Domain}", $"pubsub.{server.Domain}");
    }

    [Fact]
    public async Task BaseUrlConfigured_SlotUrlsUseItWithTheHost()
    {
        await using var server = await TestServer.StartAsync(o => ModuleTestExtensions.SetInit(o.Modules.HttpUpload, nameof(HttpUploadOptions.BaseUrl), "https://files.@HOST@/share/"));
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var (put, get) = Urls((await RequestAsync(alice, server, "a b.txt", 3)).ShouldBeResult()!);

        get.Should().MatchRegex($"^https://files\\.{server.Domain}/share/upload/[A-Za-z0-9_-]{{24}}/a%20b\\.txt$");
        put.Should().StartWith(get + "?");
    }

    [Theory]
    [InlineData("sig")]
    [InlineData("size")]
    [InlineData("expires")]
    [InlineData("name")]
    [InlineData("id")]
    public async Task Put_AlteredUrl_ForbiddenAndNothingStored(string altered)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        var (put, _) = Urls((await RequestAsync(alice, server, "a.txt", 4)).ShouldBeResult()!);
        var uri = new Uri(put);
        var segments = uri.AbsolutePath.Split('/');
        var query = System.Web.HttpUtility.ParseQueryString(uri.Query);
        var size = int.Parse(query["size"]!, System.Globalization.CultureInfo.InvariantCulture);
        switch (altered)
        {
            case "sig":
                query["sig"] = Flip(query["sig"]!);
                break;
            case "size":
                query["size"] = "5";
                size = 5;
                break;
            case "expires":
                query["expires"] = (long.Parse(query["expires"]!, System.Globalization.CultureInfo.InvariantCulture) + 3600).ToString(System.Globalization.CultureInfo.InvariantCulture);
                break;
            case "name":
                segments[3] = "b.txt";
                break;
            case "id":
                segments[2] = Flip(segments[2]);
                break;
        }

        var tampered = $"{uri.Scheme}://{uri.Authority}{string.Join('/', segments)}?{query}";
        using var response = await PutAsync(tampered, new byte[size], "text/plain");

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        StoredFiles(server).Should().BeEmpty();
    }

    [Fact]
    public async Task Put_ExpiredSlot_Forbidden()
    {
        await using var server = await TestServer.StartAsync();
        var id = UploadSignatures.NewId();
        var expires = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1;
        // A slot as the service would have handed it out a little over its lifetime ago.
        var sig = server.Services.GetRequiredService<UploadSignatures>().Sign(id, "a.txt", 4, expires);

        using var response = await PutAsync($"http://127.0.0.1:{server.HttpPort}/upload/{id}/a.txt?expires={expires}&size=4&sig={sig}", new byte[4], "text/plain");

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        StoredFiles(server).Should().BeEmpty();
    }

    [Theory]
    [InlineData(99, HttpStatusCode.BadRequest)]
    [InlineData(101, HttpStatusCode.RequestEntityTooLarge)]
    public async Task Put_LengthOtherThanSlotSize_RejectedAndNothingStored(int length, HttpStatusCode expected)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        var (put, get) = Urls((await RequestAsync(alice, server, "a.bin", 100)).ShouldBeResult()!);

        using var response = await PutAsync(put, new byte[length], "application/octet-stream");
        using var fetched = await Http.GetAsync(get);

        response.StatusCode.Should().Be(expected);
        fetched.StatusCode.Should().Be(HttpStatusCode.NotFound);
        StoredFiles(server).Should().BeEmpty();
    }

    [Fact]
    public async Task Put_WithoutContentLength_LengthRequired()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        var (put, _) = Urls((await RequestAsync(alice, server, "a.bin", 100)).ShouldBeResult()!);

        // A stream of unknown length goes out chunked, without Content-Length.
        using var content = new StreamContent(new NonSeekableStream(new byte[100]));
        using var response = await Http.PutAsync(put, content);

        response.StatusCode.Should().Be(HttpStatusCode.LengthRequired);
        StoredFiles(server).Should().BeEmpty();
    }

    [Fact]
    public async Task Put_ClientGoesAwayMidBody_NothingLeftBehindAndSlotStillUsable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        var (put, get) = Urls((await RequestAsync(alice, server, "big.bin", 200_000)).ShouldBeResult()!);
        var uri = new Uri(put);

        using (var socket = new TcpClient())
        {
            await socket.ConnectAsync(IPAddress.Loopback, server.HttpPort);
            var stream = socket.GetStream();
            var head = $"PUT {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\nContent-Type: application/octet-stream\r\nContent-Length: 200000\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.WriteAsync(new byte[50_000]);
            await stream.FlushAsync();
            // Until the server has started writing the file, then drop the connection.
            await Eventually.TrueAsync(() => Directory.EnumerateFiles(UploadFolderOf(server)).Any(), "the upload has begun");
        }

        await Eventually.TrueAsync(() => !Directory.EnumerateFiles(UploadFolderOf(server)).Any(), "the partial upload is removed");
        using var fetched = await Http.GetAsync(get);
        fetched.StatusCode.Should().Be(HttpStatusCode.NotFound);
        // The slot was not spent: the client may try again.
        using var retry = await PutAsync(put, new byte[200_000], "application/octet-stream");
        retry.StatusCode.Should().Be(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Put_SlotUsedTwice_Conflict_FirstFileKept()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        var (put, get) = Urls((await RequestAsync(alice, server, "a.txt", 5)).ShouldBeResult()!);

        using var first = await PutAsync(put, "first"u8.ToArray(), "text/plain");
        using var second = await PutAsync(put, "other"u8.ToArray(), "text/plain");

        first.StatusCode.Should().Be(HttpStatusCode.Created);
        second.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await Http.GetStringAsync(get)).Should().Be("first");
    }

    [Fact]
    public async Task Get_UnknownIdOrOtherName_NotFound()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        var (put, get) = Urls((await RequestAsync(alice, server, "a.txt", 5)).ShouldBeResult()!);
        (await PutAsync(put, "hello"u8.ToArray(), "text/plain")).StatusCode.Should().Be(HttpStatusCode.Created);

        using var unknown = await Http.GetAsync($"http://127.0.0.1:{server.HttpPort}/upload/{UploadSignatures.NewId()}/a.txt");
        using var otherName = await Http.GetAsync(get[..get.LastIndexOf('/')] + "/b.txt");
        using var notAnId = await Http.GetAsync($"http://127.0.0.1:{server.HttpPort}/upload/..%2F..%2Fetc/passwd");

        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        otherName.StatusCode.Should().Be(HttpStatusCode.NotFound);
        notAnId.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Options_CorsPreflight_AllowsPutWithContentTypeFromAnyOrigin()
    {
        await using var server = await TestServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Options, $"http://127.0.0.1:{server.HttpPort}/upload/{UploadSignatures.NewId()}/a.txt");
        request.Headers.Add("Origin", "https://web.example");
        request.Headers.Add("Access-Control-Request-Method", "PUT");
        request.Headers.Add("Access-Control-Request-Headers", "content-type");

        using var response = await Http.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.NoContent);
        response.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal("*");
        string.Join(",", response.Headers.GetValues("Access-Control-Allow-Methods")).Should().Contain("PUT");
        string.Join(",", response.Headers.GetValues("Access-Control-Allow-Headers")).Should().ContainEquivalentOf("Content-Type");
    }

    private static Task<Element> RequestAsync(RawXmppClient client, TestServer server, string fileName, long size, string? contentType = null) =>
        client.GetAsync(
            $"upload.{server.Domain}",
            $"<request xmlns='{Ns}' filename='{SecurityElement.Escape(fileName)}' size='{size}'{(contentType is null ? "" : $" content-type='{contentType}'")}/>");

    [Fact]
    public async Task ExpireAfterDays_FileUploadedBeforeThat_DeletedAtStartUp_ItsUrlAnswers404_NewerFileServed()
    {
        var folder = Path.Combine(Path.GetTempPath(), "rookery-upload-expiry-" + Guid.NewGuid().ToString("N"));
        try
        {
            string oldPath, newPath;
            await using (var first = await StartWithFolderAsync(folder, expireAfterDays: 0))
            {
                await first.CreateUserAsync("alice");
                await using var alice = await first.LoginAsync("alice");
                oldPath = await UploadAsync(alice, first, "old.txt");
                newPath = await UploadAsync(alice, first, "new.txt");
            }

            File.SetLastWriteTimeUtc(Path.Combine(folder, IdOf(oldPath)), DateTime.UtcNow.AddDays(-2));

            await using var second = await StartWithFolderAsync(folder, expireAfterDays: 1);
            await Eventually.TrueAsync(() => !File.Exists(Path.Combine(folder, IdOf(oldPath))), "the sweep at start-up deletes the two-day-old file");
            using var old = await Http.GetAsync($"http://127.0.0.1:{second.HttpPort}{oldPath}");
            using var kept = await Http.GetAsync($"http://127.0.0.1:{second.HttpPort}{newPath}");

            old.StatusCode.Should().Be(HttpStatusCode.NotFound);
            kept.StatusCode.Should().Be(HttpStatusCode.OK);
            File.Exists(Path.Combine(folder, IdOf(oldPath) + ".meta")).Should().BeFalse("the sidecar goes with the file");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        static Task<TestServer> StartWithFolderAsync(string folder, int expireAfterDays) =>
            TestServer.StartAsync(o => o.Modules = new ModulesOptions { HttpUpload = new HttpUploadOptions { Folder = folder, ExpireAfterDays = expireAfterDays } });

        static async Task<string> UploadAsync(RawXmppClient alice, TestServer server, string name)
        {
            var (put, get) = Urls((await RequestAsync(alice, server, name, 2)).ShouldBeResult()!);
            using var stored = await PutAsync(put, "hi"u8.ToArray(), "text/plain");
            stored.StatusCode.Should().Be(HttpStatusCode.Created);
            return new Uri(get).AbsolutePath;
        }

        // The GET path is /upload/<id>/<name>.
        static string IdOf(string path) => path.Split('/')[2];
    }

    private static (string Put, string Get) Urls(Element slot) =>
        (slot.Child("put", Ns)!.GetAttribute("url")!, slot.Child("get", Ns)!.GetAttribute("url")!);

    private static async Task<HttpResponseMessage> PutAsync(string url, byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return await Http.PutAsync(url, content);
    }

    private static string UploadFolderOf(TestServer server) => server.Services.GetRequiredService<HttpUploadSite>().Folder;

    private static List<string> StoredFiles(TestServer server) =>
        Directory.Exists(UploadFolderOf(server)) ? Directory.EnumerateFiles(UploadFolderOf(server)).ToList() : [];

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Changes the first character to another one of the base64url alphabet.</summary>
    private static string Flip(string s) => (s[0] == 'A' ? 'B' : 'A') + s[1..];

    /// <summary>A stream that cannot tell its length, so that HttpClient sends it chunked.</summary>
    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
