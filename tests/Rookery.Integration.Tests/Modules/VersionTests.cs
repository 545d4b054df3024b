using System.Reflection;
using System.Runtime.InteropServices;
using Rookery.Modules.Version;
using Rookery.Protocol.Errors;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Modules;

/// <summary>Software version of the server (XEP-0092), over real sockets.</summary>
public sealed class VersionTests
{
    private const string Query = "<query xmlns='jabber:iq:version'/>";

    [Fact]
    public async Task Version_Host_NameAndAssemblyVersionWithoutOs()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var query = (await alice.GetAsync(server.Domain, Query)).ShouldBeResult()!;

        query.Namespace.Should().Be("jabber:iq:version");
        query.ChildText("name", "jabber:iq:version").Should().Be("Rookery");
        var expected = typeof(VersionModule).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        query.ChildText("version", "jabber:iq:version").Should().Be(expected).And.NotBeNullOrWhiteSpace();
        // ShowOs defaults to false: the OS is not disclosed.
        query.Child("os", "jabber:iq:version").Should().BeNull();
    }

    [Fact]
    public async Task Version_ShowOs_IncludesOperatingSystem()
    {
        await using var server = await TestServer.StartAsync(o => ModuleTestExtensions.SetInit(o.Modules, nameof(o.Modules.Version), new VersionOptions { ShowOs = true }));
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var query = (await alice.GetAsync(server.Domain, Query)).ShouldBeResult()!;

        query.ChildText("os", "jabber:iq:version").Should().Be(RuntimeInformation.OSDescription);
    }

    [Fact]
    public async Task Version_UserBareJid_NotAnsweredByServer()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");

        // A user's software version is for the user's clients (full JIDs) to tell, not the server.
        var reply = await alice.GetAsync(server.Bare("bob"), Query);

        reply.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
    }
}
