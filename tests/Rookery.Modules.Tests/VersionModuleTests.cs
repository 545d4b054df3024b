using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using Rookery.Modules.Version;

namespace Rookery.Modules.Tests;

public sealed class VersionModuleTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Version_ShowOs_ControlsTheOsElement(bool showOs)
    {
        var harness = ModuleHarness.For(new VersionModule(Options.Create(new VersionOptions { ShowOs = showOs })));

        var query = await harness.GetAsync("alice@example.org/r", "example.org", "<query xmlns='jabber:iq:version'/>");

        query!.ChildText("name", VersionModule.Namespace).Should().Be("Rookery");
        query.ChildText("version", VersionModule.Namespace).Should().Be(VersionModule.SoftwareVersion).And.NotBeNullOrEmpty();
        query.ChildText("os", VersionModule.Namespace).Should().Be(showOs ? RuntimeInformation.OSDescription : null);
    }
}
