using Microsoft.Extensions.DependencyInjection;
using Rookery.Storage;

namespace Rookery.Hosting;

/// <summary>Prepares a node's storage before anything uses it, for the node itself and for the command-line verbs.</summary>
public static class StorageStartup
{
    /// <summary>
    /// Applies the pending migrations, creating the SQLite file and its folder when missing. A folder or file the process
    /// cannot create or open (read-only, a path under /proc, no permission) is the operator's to fix, so it is reported as
    /// a <see cref="ConfigurationException"/> naming the configuration key rather than as a crash.
    /// </summary>
    public static async Task MigrateStorageAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        try
        {
            await services.GetRequiredService<IStorage>().MigrateAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var options = services.GetRequiredService<RookeryOptions>();
            var where = Path.IsPathRooted(options.Storage.Sqlite.Path) ? "Storage:Sqlite:Path" : "DataDirectory";
            throw new ConfigurationException($"Configuration key '{where}': the database cannot be created there: {e.Message}", e);
        }
    }
}
