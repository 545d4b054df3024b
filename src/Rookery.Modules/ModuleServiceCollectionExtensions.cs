using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Rookery.Modules.AdHoc;
using Rookery.Modules.AdHoc.Admin;
using Rookery.Modules.AvatarConversion;
using Rookery.Modules.Blocking;
using Rookery.Modules.Bookmarks;
using Rookery.Modules.Caps;
using Rookery.Modules.Carbons;
using Rookery.Modules.Disco;
using Rookery.Modules.ExternalServices;
using Rookery.Modules.FlexibleOffline;
using Rookery.Modules.HttpUpload;
using Rookery.Modules.Last;
using Rookery.Modules.Mam;
using Rookery.Modules.Motd;
using Rookery.Modules.Pep;
using Rookery.Modules.Ping;
using Rookery.Modules.PrivateStorage;
using Rookery.Modules.Proxy65;
using Rookery.Modules.Pubsub;
using Rookery.Modules.Push;
using Rookery.Modules.Time;
using Rookery.Modules.VCard;
using Rookery.Modules.Version;
using Rookery.Server.Modules;

namespace Rookery.Modules;

/// <summary>Registers the feature modules of this assembly.</summary>
public static class ModuleServiceCollectionExtensions
{
    /// <summary>
    /// Adds every module of this assembly; each is enabled on every host unless named in <c>DisabledModules</c>. Options
    /// registered before this call (as <see cref="IOptions{TOptions}"/>) are kept; the others get their defaults.
    /// </summary>
    public static IServiceCollection AddRookeryModules(this IServiceCollection services)
    {
        services.TryAddSingleton(Options.Create(new DiscoOptions()));
        services.TryAddSingleton(Options.Create(new VersionOptions()));
        services.TryAddSingleton(Options.Create(new VCardOptions()));
        services.TryAddSingleton(Options.Create(new PrivateStorageOptions()));
        services.TryAddSingleton(Options.Create(new MamOptions()));
        services.TryAddSingleton(Options.Create(new BlockingOptions()));
        services.TryAddSingleton(Options.Create(new PepOptions()));
        services.TryAddSingleton(Options.Create(new HttpUploadOptions()));
        // The composition root knows the HTTP listeners and the cluster secret; without them nothing is uploaded.
        services.TryAddSingleton(HttpUploadSite.None);
        services.TryAddSingleton(_ => new UploadSignatures(clusterSecret: null));
        services.TryAddSingleton(Options.Create(new PushOptions()));
        services.TryAddSingleton(Options.Create(new ExternalServicesOptions()));
        services.TryAddSingleton(Options.Create(new Proxy65Options()));
        // The composition root knows the SOCKS5 listener; without one the proxy serves nothing.
        services.TryAddSingleton(Proxy65Listener.None);
        services.TryAddSingleton(Options.Create(new PubsubOptions()));

        services.AddSingleton<IXmppModule, DiscoModule>();
        services.AddSingleton<IXmppModule, PingModule>();
        services.AddSingleton<IXmppModule, VersionModule>();
        services.AddSingleton<IXmppModule, TimeModule>();
        services.AddSingleton<IXmppModule, LastActivityModule>();
        // Also as themselves: the avatar conversion module stores vCards through the first, the bookmarks module hands
        // the second the storage:bookmarks element.
        services.AddSingleton<VCardModule>();
        services.AddSingleton<IXmppModule>(sp => sp.GetRequiredService<VCardModule>());
        services.AddSingleton<PrivateStorageModule>();
        services.AddSingleton<IXmppModule>(sp => sp.GetRequiredService<PrivateStorageModule>());
        services.AddSingleton<IXmppModule, CarbonsModule>();
        services.AddSingleton<MamArchiveWriter>();
        // A hosted service so that stopping the host flushes the queued archive writes.
        services.AddHostedService(sp => sp.GetRequiredService<MamArchiveWriter>());
        services.AddSingleton<IXmppModule, MamModule>();
        services.AddHostedService<MamRetentionService>();
        services.AddSingleton<IXmppModule, BlockingModule>();
        services.AddSingleton<IXmppModule, AdHocModule>();
        services.AddSingleton<MessageOfTheDay>();
        services.AddSingleton<IXmppModule, MotdModule>();
        services.AddAdminCommands();
        services.AddSingleton<EntityCapabilities>();
        services.AddSingleton<IXmppModule, CapsModule>();
        // Also as itself: the avatar and bookmarks conversions publish on accounts' behalf and follow their changes.
        services.AddSingleton<PepModule>();
        services.AddSingleton<IXmppModule>(sp => sp.GetRequiredService<PepModule>());
        services.AddSingleton<AvatarHashes>();
        services.AddSingleton<IXmppModule, AvatarConversionModule>();
        services.AddSingleton<IXmppModule, BookmarksConversionModule>();
        services.AddSingleton<IXmppModule, HttpUploadModule>();
        services.AddSingleton<HttpUploadServiceHost>();
        services.AddHostedService(sp => sp.GetRequiredService<HttpUploadServiceHost>());
        services.AddSingleton<UploadFolder>();
        services.AddHostedService<UploadExpiryService>();
        services.AddSingleton<HttpUploadEndpoint>();
        services.AddSingleton<IXmppModule, PushModule>();
        services.AddSingleton<IXmppModule, ExternalServicesModule>();
        services.AddSingleton<BytestreamRegistry>();
        services.AddSingleton<IXmppModule, Proxy65Module>();
        services.AddSingleton<Proxy65ServiceHost>();
        services.AddHostedService(sp => sp.GetRequiredService<Proxy65ServiceHost>());
        services.AddSingleton<Proxy65ConnectionHandler>();
        services.AddSingleton<IXmppModule, PubsubModule>();
        services.AddSingleton<IXmppModule, FlexibleOfflineModule>();
        services.AddSingleton<PubsubServiceHost>();
        services.AddHostedService(sp => sp.GetRequiredService<PubsubServiceHost>());
        return services;
    }

    /// <summary>The service administration commands (XEP-0133) the ad-hoc module offers to each host's admins.</summary>
    private static void AddAdminCommands(this IServiceCollection services)
    {
        services.AddSingleton<IAdHocCommand, AddUserCommand>();
        services.AddSingleton<IAdHocCommand, DeleteUserCommand>();
        services.AddSingleton<IAdHocCommand, ChangeUserPasswordCommand>();
        services.AddSingleton<IAdHocCommand, EndUserSessionCommand>();
        services.AddSingleton<IAdHocCommand, GetRegisteredUsersNumCommand>();
        services.AddSingleton<IAdHocCommand, GetOnlineUsersNumCommand>();
        services.AddSingleton<IAdHocCommand, GetOnlineUsersListCommand>();
        services.AddSingleton<IAdHocCommand, AnnounceCommand>();
        services.AddSingleton<IAdHocCommand, DisableUserCommand>();
        services.AddSingleton<IAdHocCommand, ReenableUserCommand>();
        services.AddSingleton<IAdHocCommand, GetUserRosterCommand>();
        services.AddSingleton<IAdHocCommand, UserStatsCommand>();
        services.AddSingleton<IAdHocCommand, GetRegisteredUsersListCommand>();
        services.AddSingleton<IAdHocCommand, GetDisabledUsersNumCommand>();
        services.AddSingleton<IAdHocCommand, GetDisabledUsersListCommand>();
        services.AddSingleton<IAdHocCommand, GetActiveUsersNumCommand>();
        services.AddSingleton<IAdHocCommand, GetActiveUsersListCommand>();
        services.AddSingleton<IAdHocCommand, GetIdleUsersNumCommand>();
        services.AddSingleton<IAdHocCommand, GetIdleUsersListCommand>();
        services.AddSingleton<IAdHocCommand, SetMotdCommand>();
        services.AddSingleton<IAdHocCommand, EditMotdCommand>();
        services.AddSingleton<IAdHocCommand, DeleteMotdCommand>();
    }
}
