namespace Rookery.Server.Components;

/// <summary>A local instance connected or went away; the cluster announces it to the other nodes (COMPONENT_UP/DOWN).</summary>
public sealed class ComponentInstanceEventArgs(IComponentInstance instance, int? bucket) : EventArgs
{
    /// <summary>The instance.</summary>
    public IComponentInstance Instance { get; } = instance;

    /// <summary>The fixed bucket it owns (owned until it went away), or null when the domain has no buckets or it is a spare.</summary>
    public int? Bucket { get; } = bucket;
}
