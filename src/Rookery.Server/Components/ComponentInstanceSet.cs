namespace Rookery.Server.Components;

/// <summary>
/// An immutable view of one domain's instances, replaced as a whole on every change so that routing reads it without
/// locks (STYLE §4: route tables are snapshots swapped atomically).
/// </summary>
internal sealed class ComponentInstanceSet
{
    public static readonly ComponentInstanceSet Empty = new([], []);

    public ComponentInstanceSet(IComponentInstance[] all, IComponentInstance?[] owners)
    {
        // Ordered by name so that every node, knowing the same instances, scores them alike.
        Array.Sort(all, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        All = all;
        NameHashes = new ulong[all.Length];
        var local = new List<IComponentInstance>();
        for (var i = 0; i < all.Length; i++)
        {
            NameHashes[i] = StableHash.Of(all[i].Name);
            if (all[i].IsLocal)
            {
                local.Add(all[i]);
            }
        }

        Local = [.. local];
        Owners = owners;
    }

    /// <summary>Every instance, ordered by name.</summary>
    public IComponentInstance[] All { get; }

    /// <summary>The stable hash of each instance's name, parallel to <see cref="All"/>.</summary>
    public ulong[] NameHashes { get; }

    /// <summary>The instances connected to this node.</summary>
    public IComponentInstance[] Local { get; }

    /// <summary>With fixed buckets, the owner of each bucket (null: orphaned); empty otherwise.</summary>
    public IComponentInstance?[] Owners { get; }

    /// <summary>The bucket an instance owns, or -1.</summary>
    public int BucketOf(IComponentInstance instance)
    {
        for (var i = 0; i < Owners.Length; i++)
        {
            if (ReferenceEquals(Owners[i], instance))
            {
                return i;
            }
        }

        return -1;
    }
}
