namespace Rookery.Server.Components;

/// <summary>What happens to the bucket of a failed instance when a domain has a fixed number of buckets.</summary>
public enum ComponentFailover
{
    /// <summary>The bucket's stanzas get <c>service-unavailable</c> until an instance connects and takes the bucket.</summary>
    Bounce,

    /// <summary>A connected spare instance (one that owns no bucket) takes the bucket over at once; with none, as <see cref="Bounce"/>.</summary>
    Spare,
}
