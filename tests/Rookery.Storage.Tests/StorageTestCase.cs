using Xunit.Abstractions;
using Xunit.Sdk;

namespace Rookery.Storage.Tests;

/// <summary>
/// A test case whose skip reason also depends on the class it runs in, not only on its method's attribute.
/// </summary>
/// <remarks>
/// xunit 2.9 has no dynamic skip (<c>Assert.Skip</c> is xunit v3), and a <c>Skip</c> computed by the attribute
/// itself (as <c>SlixmppFactAttribute</c> does) cannot work for the contract suite: its tests are declared once, on the
/// abstract <see cref="StorageContractTests"/>, and the same attribute instance serves the SQLite and the PostgreSQL
/// subclass alike, without knowing which one it is discovered for. The discoverer, however, is handed the concrete
/// <see cref="ITestMethod.TestClass"/>; xunit asks the test case for its skip reason through the virtual
/// <c>GetSkipReason</c>, and this override adds the class's <see cref="StorageBackendAttribute"/> verdict. The reason is
/// recomputed, not stored, so the default serialization (test cases cross from discovery to execution as strings) needs
/// nothing extra, and the availability probe runs once per process (it is cached).
/// </remarks>
public sealed class StorageTestCase : XunitTestCase
{
    /// <summary>For the deserializer only.</summary>
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public StorageTestCase()
    {
    }

    /// <summary>Creates a test case, with arguments when it is one data row of a theory.</summary>
    public StorageTestCase(
        IMessageSink diagnosticMessageSink,
        TestMethodDisplay defaultMethodDisplay,
        TestMethodDisplayOptions defaultMethodDisplayOptions,
        ITestMethod testMethod,
        object[]? testMethodArguments = null)
        : base(diagnosticMessageSink, defaultMethodDisplay, defaultMethodDisplayOptions, testMethod, testMethodArguments)
    {
    }

    /// <inheritdoc />
    protected override string? GetSkipReason(IAttributeInfo factAttribute) =>
        base.GetSkipReason(factAttribute) ?? StorageBackendAttribute.SkipReasonOf(TestMethod.TestClass.Class);
}
