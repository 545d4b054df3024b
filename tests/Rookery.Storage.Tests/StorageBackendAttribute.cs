using Xunit.Abstractions;

namespace Rookery.Storage.Tests;

/// <summary>
/// Put on a <see cref="StorageContractTests"/> subclass whose backend may be missing on this machine (a database
/// server): its <see cref="StorageFactAttribute"/> and <see cref="StorageTheoryAttribute"/> tests, the inherited contract
/// ones included, are skipped with <see cref="SkipReason"/> when that is not null.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public abstract class StorageBackendAttribute : Attribute
{
    /// <summary>Why this backend's tests are skipped here, or null to run them.</summary>
    public abstract string? SkipReason { get; }

    /// <summary>The skip reason of the backend attribute on <paramref name="testClass"/>, or null when it has none.</summary>
    internal static string? SkipReasonOf(ITypeInfo testClass)
    {
        foreach (var attribute in testClass.GetCustomAttributes(typeof(StorageBackendAttribute)))
        {
            // Reads the property off the attribute instance, so the subclass's override runs.
            return attribute.GetNamedArgument<string?>(nameof(SkipReason));
        }

        return null;
    }
}
