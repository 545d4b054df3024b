using Microsoft.Extensions.Logging;
using Rookery.Server.Routing;

namespace Rookery.Hosting.Tests;

/// <summary>Start-up failures of a node in-process: they surface as <see cref="ConfigurationException"/> naming the key.</summary>
public sealed class RookeryNodeTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task StartAsync_CertificateFileNotPem_ThrowsNamingTheHostKey()
    {
        var pem = _folder.Write("broken.pem", "not a certificate");
        var options = new RookeryOptions
        {
            DataDirectory = _folder.Combine("data"),
            Hosts = new(StringComparer.OrdinalIgnoreCase) { ["example.test"] = new() { CertificatePath = pem } },
            Listeners = new ListenerOptions
            {
                Client = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
                DirectTls = new EndpointOptions { Enabled = false },
                Http = new EndpointOptions { Enabled = false },
            },
            S2S = new S2sOptions { Enabled = false },
        };
        RookeryConfiguration.Validate(options);
        await using var node = RookeryNode.Create(options, logging => logging.ClearProviders());

        var act = () => node.StartAsync();

        (await act.Should().ThrowAsync<ConfigurationException>())
            .Which.Message.Should().Contain("'Hosts:example.test:CertificatePath'").And.Contain("example.test");
    }
}
