namespace Rookery.Server.Components;

/// <summary>The external component domains this node accepts (XEP-0114), keyed by domain.</summary>
public sealed class ComponentsOptions
{
    /// <summary>The component domains and their settings; empty means the component listener stays closed.</summary>
    public IReadOnlyDictionary<string, ComponentDomainOptions> Domains { get; init; } = new Dictionary<string, ComponentDomainOptions>();
}
