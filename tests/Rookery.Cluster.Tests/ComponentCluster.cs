using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// A <see cref="TestCluster"/> whose nodes open a component listener and serve a set of component domains, plus real
/// <c>rookery component</c> processes running the echo service against them (issue #5).
/// </summary>
internal sealed class ComponentCluster : IAsyncDisposable
{
    public const string ComponentSecret = "component-secret-for-tests";

    private readonly Dictionary<string, int> _componentPorts = [];
    private readonly List<RookeryProcess> _components = [];
    private readonly Dictionary<string, RookeryProcess> _byName = [];
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("rookery-components-");
    private readonly Dictionary<string, (string Balancing, int Buckets)> _domains;
    private readonly string _failover;

    /// <param name="domains">The component domains with their balancing and number of fixed buckets.</param>
    /// <param name="failover">Every domain's <c>OnInstanceFailure</c>.</param>
    public ComponentCluster(Dictionary<string, (string Balancing, int Buckets)> domains, string failover = "bounce")
    {
        _domains = domains;
        _failover = failover;
    }

    public TestCluster Cluster { get; } = new();

    /// <summary>A component domain under the cluster's domain.</summary>
    public static string Domain(string label) => $"{label}.{TestCluster.Domain}";

    /// <summary>Starts a node with the component listener and every component domain configured.</summary>
    public async Task<TestNode> StartNodeAsync(string name)
    {
        var port = RookeryProcess.FreePort();
        _componentPorts[name] = port;
        var node = await Cluster.StartNodeAsync(name, configure: json =>
        {
            json["Listeners"]!["Component"] = new JsonObject { ["Address"] = "127.0.0.1", ["Port"] = port };
            var components = new JsonObject();
            foreach (var (domain, (balancing, buckets)) in _domains)
            {
                components[domain] = new JsonObject { ["Secret"] = ComponentSecret, ["Balancing"] = balancing, ["ComponentNumber"] = buckets, ["OnInstanceFailure"] = _failover };
            }

            json["Components"] = components;
        });
        await node.Process.WaitForPortAsync(port, TestCluster.StartTimeout);
        return node;
    }

    public int ComponentPort(TestNode node) => _componentPorts[node.Name];

    /// <summary>The component process started last under this instance name.</summary>
    public RookeryProcess ComponentProcess(string name)
    {
        lock (_components)
        {
            return _byName[name];
        }
    }

    /// <summary>Starts <c>rookery component --service echo</c> with the nodes in order, and waits until it is connected to the first.</summary>
    public async Task<RookeryProcess> StartComponentAsync(string domain, string name, params TestNode[] nodes)
    {
        var connect = string.Join(',', nodes.Select(n => "127.0.0.1:" + ComponentPort(n).ToString(CultureInfo.InvariantCulture)));
        var process = RookeryProcess.Start(_folder.FullName,
            ["component", "--domain", domain, "--connect", connect, "--secret", ComponentSecret, "--name", name, "--service", "echo"]);
        lock (_components)
        {
            _components.Add(process);
            _byName[name] = process;
        }

        await WaitForOutputAsync(process, $"connected to 127.0.0.1:{ComponentPort(nodes[0]).ToString(CultureInfo.InvariantCulture)}");
        return process;
    }

    /// <summary>Waits until a node's log says the domain has <paramref name="count"/> instances after an up (or down) change.</summary>
    public static async Task WaitForInstancesAsync(TestNode node, string domain, int count, bool up = true)
    {
        var pattern = new Regex($@"Component {Regex.Escape(domain)}: instance \S+ {(up ? "up" : "down")} \(bucket .*?\); {count} instance\(s\)");
        var deadline = DateTime.UtcNow + TestCluster.Wait;
        while (!pattern.IsMatch(node.Process.StandardOutput))
        {
            if (DateTime.UtcNow > deadline || node.Process.HasExited)
            {
                throw new TimeoutException($"{node.Name} did not see {count} instance(s) of {domain} ({(up ? "up" : "down")})");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Polls a process's output (bounded) until it contains <paramref name="text"/>.</summary>
    public static async Task WaitForOutputAsync(RookeryProcess process, string text)
    {
        var deadline = DateTime.UtcNow + TestCluster.StartTimeout;
        while (!process.StandardOutput.Contains(text, StringComparison.Ordinal))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"'{text}' did not appear.\nstdout:\n{process.StandardOutput}\nstderr:\n{process.StandardError}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Sends one message per (to, id) and collects the answers by id: the echo instance's name, or "error:&lt;condition&gt;".
    /// </summary>
    public static async Task<Dictionary<string, string>> EchoAllAsync(RawXmppClient client, IReadOnlyList<(string To, string Id)> messages)
    {
        foreach (var (to, id) in messages)
        {
            await client.SendAsync($"<message to='{to}' id='{id}' type='chat'><body>{id}</body></message>");
        }

        var wanted = messages.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        while (answers.Count < wanted.Count)
        {
            var reply = await client.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") is { } id && wanted.Contains(id) && !answers.ContainsKey(id), TestCluster.Wait);
            answers[reply.GetAttribute("id")!] = Answer(reply);
        }

        return answers;
    }

    /// <summary>The instance name of an echo reply, or <c>error:condition</c>.</summary>
    public static string Answer(Element reply)
    {
        if (reply.GetAttribute("type") == "error")
        {
            var error = reply.Child("error", Ns.Client);
            var condition = error?.Elements().FirstOrDefault(c => c.Namespace == "urn:ietf:params:xml:ns:xmpp-stanzas")?.Name ?? "?";
            return "error:" + condition;
        }

        var body = reply.ChildText("body", Ns.Client) ?? string.Empty;
        var colon = body.IndexOf(": ", StringComparison.Ordinal);
        return colon < 0 ? body : body[..colon];
    }

    /// <summary>Every node's and every component's output, for failure messages.</summary>
    public string Logs() =>
        Cluster.Logs() + string.Concat(_components.Select((c, i) => $"\n--- component {i} stdout:\n{c.StandardOutput}\n--- stderr:\n{c.StandardError}"));

    /// <summary>Runs a test body; a failure carries every process's output.</summary>
    public async Task RunAsync(Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException(e.GetType().Name + ": " + e.Message + "\n" + e.StackTrace + Logs(), e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var component in _components)
        {
            await component.DisposeAsync();
        }

        await Cluster.DisposeAsync();
        try
        {
            _folder.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
