using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;

namespace Rookery.Modules.Version;

/// <summary>
/// Software Version (XEP-0092): the server's name and version, and optionally its operating system, asked of the host.
/// </summary>
[Xep(92, "1.1")]
public sealed class VersionModule(IOptions<VersionOptions> options) : IXmppModule
{
    /// <summary>The XEP-0092 namespace.</summary>
    public const string Namespace = "jabber:iq:version";

    /// <summary>The software name the server reports.</summary>
    public const string SoftwareName = "Rookery";

    private readonly bool _showOs = options.Value.ShowOs;

    /// <summary>
    /// The version the server reports: the informational version of this assembly (for example <c>1.2.0+3f2c1ab</c>
    /// when built from git), which the whole server shares.
    /// </summary>
    public static string SoftwareVersion { get; } =
        typeof(VersionModule).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <inheritdoc />
    public string Name => "version";

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddFeature(Namespace);
        builder.HandleIq(IqType.Get, IqTarget.Host, Namespace, "query", OnVersion);
    }

    private ValueTask<IqResult> OnVersion(IqContext iq)
    {
        var query = new Element("query", Namespace);
        query.AddChild("name").AddText(SoftwareName);
        query.AddChild("version").AddText(SoftwareVersion);
        if (_showOs)
        {
            query.AddChild("os").AddText(RuntimeInformation.OSDescription);
        }

        return ValueTask.FromResult(IqResult.With(query));
    }
}
