using Xunit;

namespace Rookery.TestKit;

/// <summary>
/// A fact that needs the PostgreSQL test database. xunit 2.9 has no dynamic skip, so the check runs when the attribute
/// is built, at discovery: without a reachable server the test is skipped, except in CI (environment <c>CI=true</c>),
/// where it runs and must fail through <see cref="PostgresTestDatabase.RequireAvailable"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class PostgresFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> from <see cref="PostgresTestDatabase.SkipReason"/>.</summary>
    public PostgresFactAttribute()
    {
        if (PostgresTestDatabase.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}
