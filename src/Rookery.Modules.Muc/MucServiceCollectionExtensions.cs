using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Rookery.Server.Modules;

namespace Rookery.Modules.Muc;

/// <summary>Registers multi-user chat: the <c>muc</c> module name and the in-process services.</summary>
public static class MucServiceCollectionExtensions
{
    /// <summary>Adds the MUC module; options registered before (as <see cref="IOptions{TOptions}"/>) are kept.</summary>
    public static IServiceCollection AddRookeryMuc(this IServiceCollection services)
    {
        services.TryAddSingleton(Options.Create(new MucOptions()));
        services.AddSingleton<IXmppModule, MucModule>();
        services.AddSingleton<MucServiceHost>();
        services.AddHostedService(sp => sp.GetRequiredService<MucServiceHost>());
        return services;
    }
}
