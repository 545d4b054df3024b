using Xunit.Sdk;

namespace Rookery.Storage.Tests;

/// <summary>
/// A theory of the storage suite, skipped for a test class whose <see cref="StorageBackendAttribute"/> says its backend
/// is unavailable. See <see cref="StorageTestCase"/> for why this needs its own discoverer.
/// </summary>
[XunitTestCaseDiscoverer("Rookery.Storage.Tests.StorageTheoryDiscoverer", "Rookery.Storage.Tests")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class StorageTheoryAttribute : TheoryAttribute;
