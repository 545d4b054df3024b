namespace Rookery.Cluster.Tests;

/// <summary>
/// Tests that saturate this process's thread pool run alone, after the parallel ones: every other test in the process
/// would wait behind the same work items (the pool is one per process).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadPoolCollection
{
    /// <summary>The collection's name, for <see cref="CollectionAttribute"/>.</summary>
    public const string Name = "Saturated thread pool";
}
