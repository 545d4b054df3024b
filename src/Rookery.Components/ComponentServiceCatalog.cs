using Rookery.Components.Echo;

namespace Rookery.Components;

/// <summary>
/// The services <c>rookery component --service NAME</c> can run, by name. A service project (MUC next) adds itself with
/// <see cref="Add"/>; the command line lists what is there.
/// </summary>
public sealed class ComponentServiceCatalog
{
    private readonly Dictionary<string, (string Description, Func<ComponentClientOptions, IComponentService> Factory)> _services = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A catalog with the built-in services (<c>echo</c>).</summary>
    public static ComponentServiceCatalog CreateDefault()
    {
        var catalog = new ComponentServiceCatalog();
        catalog.Add(EchoService.ServiceName, "answers disco#info, version and ping; echoes messages with the instance name", _ => new EchoService());
        return catalog;
    }

    /// <summary>The service names, sorted.</summary>
    public IReadOnlyList<string> Names => [.. _services.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Adds (or replaces) a service.</summary>
    public void Add(string name, string description, Func<ComponentClientOptions, IComponentService> factory)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(factory);
        _services[name] = (description, factory);
    }

    /// <summary>A one-line description of a service, or null when unknown.</summary>
    public string? Describe(string name) => _services.TryGetValue(name, out var s) ? s.Description : null;

    /// <summary>Creates the named service, or returns null when the name is unknown.</summary>
    public IComponentService? Create(string name, ComponentClientOptions options) =>
        _services.TryGetValue(name, out var s) ? s.Factory(options) : null;
}
