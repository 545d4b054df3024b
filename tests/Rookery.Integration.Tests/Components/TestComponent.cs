using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Rookery.Components;
using Rookery.Components.Echo;
using Rookery.Protocol.Xml;
using Rookery.Server.Components;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Components;

/// <summary>
/// One instance of an external component for a test: the real <see cref="ComponentClient"/> (the code behind
/// <c>rookery component</c>) over a real socket to the test node, running the echo service or a collecting one.
/// </summary>
internal sealed class TestComponent : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly Task _run;

    private TestComponent(ComponentClient client, CancellationTokenSource stop, string name)
    {
        Client = client;
        _stop = stop;
        _run = Task.Run(() => client.RunAsync(stop.Token));
        Name = name;
    }

    /// <summary>The instance name (echo replies start with it).</summary>
    public string Name { get; }

    /// <summary>The client.</summary>
    public ComponentClient Client { get; }

    /// <summary>Connects an instance and waits until the node has registered it (<paramref name="expectedInstances"/> in all).</summary>
    public static async Task<TestComponent> StartAsync(TestServer server, string domain, string secret, string name, int expectedInstances, IComponentService? service = null)
    {
        var options = new ComponentClientOptions
        {
            Domain = domain,
            Secret = secret,
            Endpoints = [new ComponentEndpoint("127.0.0.1", server.ComponentPort)],
            InstanceName = name,
            ReconnectDelay = TimeSpan.FromMilliseconds(100),
        };
        var client = new ComponentClient(options, service ?? new EchoService(), NullLogger.Instance);
        var component = new TestComponent(client, new CancellationTokenSource(), name);
        await WaitForInstancesAsync(server, domain, expectedInstances);
        // The node registers the instance before its <handshake/> reaches the component: wait for the component's side
        // too, or a test that sends through it at once finds it "not connected".
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (client.CurrentEndpoint is null)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{name} did not see its handshake accepted");
            }

            await Task.Delay(10);
        }

        return component;
    }

    /// <summary>Polls (bounded) until the node lists exactly <paramref name="count"/> instances of <paramref name="domain"/>.</summary>
    public static async Task WaitForInstancesAsync(TestServer server, string domain, int count)
    {
        var route = server.Services.GetRequiredService<ComponentRegistry>().Find(domain)!;
        var deadline = DateTime.UtcNow + RawXmppClient.DefaultTimeout;
        while (route.Instances.Count != count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{domain} has {route.Instances.Count} instance(s), expected {count}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Stops the instance: its stream is closed and the node drops it from the table.</summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await _run.WaitAsync(RawXmppClient.DefaultTimeout);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}

/// <summary>A component service that records every stanza it gets, for a component that plays the clients' side.</summary>
internal sealed class CollectingService : IComponentService
{
    private readonly Channel<Element> _received = Channel.CreateUnbounded<Element>();
    private readonly Dictionary<string, Element> _byId = new(StringComparer.Ordinal);

    public ValueTask OnConnectedAsync(IComponentContext context, CancellationToken ct) => ValueTask.CompletedTask;

    public ValueTask HandleAsync(Element stanza, IComponentContext context, CancellationToken ct)
    {
        _received.Writer.TryWrite(stanza);
        return ValueTask.CompletedTask;
    }

    /// <summary>Waits until a stanza with each of the ids has arrived; returns them by id.</summary>
    public async Task<IReadOnlyDictionary<string, Element>> WaitForIdsAsync(IReadOnlyCollection<string> ids, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? RawXmppClient.DefaultTimeout);
        try
        {
            while (!ids.All(_byId.ContainsKey))
            {
                var e = await _received.Reader.ReadAsync(cts.Token);
                if (e.GetAttribute("id") is { } id)
                {
                    _byId[id] = e;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Missing replies: {string.Join(", ", ids.Where(i => !_byId.ContainsKey(i)).Take(10))}");
        }

        return ids.ToDictionary(i => i, i => _byId[i]);
    }

    /// <summary>Forgets what arrived (between rounds).</summary>
    public void Clear() => _byId.Clear();
}
