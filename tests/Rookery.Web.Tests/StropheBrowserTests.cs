using Microsoft.Playwright;
using Rookery.TestKit;

namespace Rookery.Web.Tests;

/// <summary>
/// A real third-party web client: Debian's Strophe.js (libjs-strophe 1.2.14) in headless Chromium driven by Playwright,
/// logging in over XMPP over WebSocket (RFC 7395) and over BOSH (XEP-0124/0206) and exchanging messages with a TCP client.
/// </summary>
[Trait("Category", "Slow")]
public sealed class StropheBrowserTests
{
    private const string StrophePath = "/usr/share/javascript/strophe/strophe.js";
    private const string ChromiumPath = "/usr/bin/chromium";

    // What the page runs: a Strophe connection whose status changes and incoming messages land in window.log.
    private const string PageScript = """
        window.log = [];
        window.startXmpp = (url, jid, password) => {
          const c = new Strophe.Connection(url);
          window.conn = c;
          c.connect(jid, password, status => {
            window.log.push('status:' + status);
            if (status === Strophe.Status.CONNECTED) {
              c.addHandler(m => {
                const body = m.getElementsByTagName('body')[0];
                window.log.push('message:' + m.getAttribute('from') + ':' + (body ? Strophe.getText(body) : ''));
                return true;
              }, null, 'message');
              c.send($pres());
            }
          });
        };
        window.sendChat = (to, text) => window.conn.send($msg({ to: to, type: 'chat', id: 'strophe-1' }).c('body').t(text));
        """;

    [Theory]
    [InlineData("ws://127.0.0.1:{0}/xmpp-websocket")]
    [InlineData("http://127.0.0.1:{0}/http-bind")]
    public async Task Strophe_LogsInAndExchangesMessagesWithTcpClient(string urlFormat)
    {
        Assert.True(File.Exists(StrophePath), "libjs-strophe is not installed (apt-get install libjs-strophe)");
        Assert.True(File.Exists(ChromiumPath), "chromium is not installed (apt-get install chromium)");
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Closed network: Chromium's own background connections would only fail (see .ci/run).
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync();
        await page.SetContentAsync("<!DOCTYPE html><html><head><title>strophe</title></head><body></body></html>");
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = StrophePath });
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Content = PageScript });
        (await page.EvaluateAsync<string>("Strophe.VERSION")).Should().Be("1.2.14");

        var url = string.Format(System.Globalization.CultureInfo.InvariantCulture, urlFormat, server.HttpPort);
        await page.EvaluateAsync("([u, j, p]) => window.startXmpp(u, j, p)", new object[] { url, $"alice@{server.Domain}/browser", "secret" });

        // Strophe.Status.CONNECTED is 5: SASL (SCRAM-SHA-1), the stream restart and bind all went through.
        await page.WaitForFunctionAsync("window.log.includes('status:5')", null, new PageWaitForFunctionOptions { Timeout = 30_000 });
        var fullJid = $"alice@{server.Domain}/browser";

        await page.EvaluateAsync("([to, text]) => window.sendChat(to, text)", new object[] { $"bob@{server.Domain}/test", "hello from Strophe" });
        var got = await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "strophe-1", TimeSpan.FromSeconds(20));
        got.GetAttribute("from").Should().Be(fullJid);
        got.ChildText("body", "jabber:client").Should().Be("hello from Strophe");

        await bob.SendAsync($"<message to='{fullJid}' type='chat' id='tcp-1'><body>hello from TCP</body></message>");
        await page.WaitForFunctionAsync($"window.log.includes('message:bob@{server.Domain}/test:hello from TCP')", null, new PageWaitForFunctionOptions { Timeout = 20_000 });
    }
}
