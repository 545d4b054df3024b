namespace Rookery.Integration.Tests.Performance;

/// <summary>
/// Tests that measure the whole process (bytes allocated, live heap) run alone, after the parallel ones: another test
/// class running at the same time would add its own allocations to the figure (a CI run once measured 9,202 bytes per
/// routed message against 2,652 alone).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasurementCollection
{
    /// <summary>The collection's name, for <see cref="CollectionAttribute"/>.</summary>
    public const string Name = "Process-wide measurements";
}
