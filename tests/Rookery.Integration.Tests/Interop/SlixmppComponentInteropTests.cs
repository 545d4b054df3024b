using System.Diagnostics;
using System.Globalization;
using System.Text;
using Rookery.Integration.Tests.Components;
using Rookery.Protocol.Xml;
using Rookery.Server.Components;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Interop;

/// <summary>
/// A component written by someone else through the balancer (issue #5): two instances of interop/slixmpp_component.py
/// (slixmpp's <c>ComponentXMPP</c>) serve one domain with <c>bare_destination</c> balancing.
/// </summary>
[Trait("Category", "Interop")]
public sealed class SlixmppComponentInteropTests
{
    private const string Echo = "echo.localhost";
    private const string Senders = "client.localhost";
    private const string Secret = "py-secret";

    [SlixmppFact]
    public async Task TwoSlixmppInstances_BareDestination_EachRoomStaysOnOneInstanceRoomsUseBoth()
    {
        Assert.True(SlixmppFactAttribute.Missing is null, SlixmppFactAttribute.Missing);
        var script = Path.Combine(AppContext.BaseDirectory, "interop", "slixmpp_component.py");
        File.Exists(script).Should().BeTrue("the test project copies interop/*.py next to the assembly ({0})", script);
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Components[Echo] = new ComponentDomainOptions { Secret = Secret, Balancing = "bare_destination" };
            o.Components[Senders] = new ComponentDomainOptions { Secret = "s" };
        });
        using var py1 = Python.Start(script, server.ComponentPort, "py1");
        using var py2 = Python.Start(script, server.ComponentPort, "py2");
        try
        {
            await TestComponent.WaitForInstancesAsync(server, Echo, 2);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\n" + py1.Output + py2.Output, e);
        }

        var senders = new CollectingService();
        await using var sender = await TestComponent.StartAsync(server, Senders, "s", "senders", 1, senders);

        var ids = new List<string>();
        for (var room = 0; room < 20; room++)
        {
            for (var j = 0; j < 2; j++)
            {
                var id = $"r{room}-{j}";
                ids.Add(id);
                var message = new Element("message", Ns.Client)
                    .SetAttribute("from", $"u{j}@{Senders}/r").SetAttribute("to", $"room{room}@{Echo}/nick{j}")
                    .SetAttribute("id", id).SetAttribute("type", "chat");
                message.AddChild("body").AddText(id);
                await sender.Client.SendAsync(message);
            }
        }

        IReadOnlyDictionary<string, Element> replies;
        try
        {
            replies = await senders.WaitForIdsAsync(ids, TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\n" + py1.Output + py2.Output, e);
        }

        var byRoom = replies.GroupBy(r => r.Key.Split('-')[0])
            .ToDictionary(g => g.Key, g => g.Select(r => Instance(r.Value)).Distinct().ToList());
        byRoom.Should().OnlyContain(r => r.Value.Count == 1, "bare_destination keeps each room on one instance");
        byRoom.Values.Select(v => v[0]).Distinct().Should().BeEquivalentTo(["py1", "py2"], "20 rooms spread over both slixmpp instances");
    }

    private static string Instance(Element reply)
    {
        reply.GetAttribute("type").Should().NotBe("error", "the slixmpp component should have answered: {0}", reply);
        var body = reply.ChildText("body", Ns.Client)!;
        return body[..body.IndexOf(':', StringComparison.Ordinal)];
    }

    /// <summary>One slixmpp component process, killed on dispose.</summary>
    private sealed class Python : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private Python(Process process)
        {
            _process = process;
        }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public static Python Start(string script, int port, string name)
        {
            var start = new ProcessStartInfo(SlixmppFactAttribute.Python)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = AppContext.BaseDirectory,
            };
            foreach (var a in new[]
            {
                script, "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
                "--domain", Echo, "--secret", Secret, "--name", name, "--timeout", "120",
            })
            {
                start.ArgumentList.Add(a);
            }

            var process = new Process { StartInfo = start };
            var python = new Python(process);
            process.OutputDataReceived += (_, e) => python.Append(name, e.Data);
            process.ErrorDataReceived += (_, e) => python.Append(name, e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return python;
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            _process.Dispose();
        }

        private void Append(string name, string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                _output.Append(name).Append("> ").AppendLine(line);
            }
        }
    }
}
