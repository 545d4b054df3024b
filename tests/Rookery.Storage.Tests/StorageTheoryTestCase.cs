using Xunit.Abstractions;
using Xunit.Sdk;

namespace Rookery.Storage.Tests;

/// <summary>A theory whose data is enumerated at run time, skipped like a <see cref="StorageTestCase"/>.</summary>
public sealed class StorageTheoryTestCase : XunitTheoryTestCase
{
    /// <summary>For the deserializer only.</summary>
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public StorageTheoryTestCase()
    {
    }

    /// <summary>Creates the test case.</summary>
    public StorageTheoryTestCase(
        IMessageSink diagnosticMessageSink,
        TestMethodDisplay defaultMethodDisplay,
        TestMethodDisplayOptions defaultMethodDisplayOptions,
        ITestMethod testMethod)
        : base(diagnosticMessageSink, defaultMethodDisplay, defaultMethodDisplayOptions, testMethod)
    {
    }

    /// <inheritdoc />
    protected override string? GetSkipReason(IAttributeInfo factAttribute) =>
        base.GetSkipReason(factAttribute) ?? StorageBackendAttribute.SkipReasonOf(TestMethod.TestClass.Class);
}
