using Rookery.Storage.Postgres;

namespace Rookery.Storage.Tests;

/// <summary>Which PostgreSQL connection strings and schema names the backend accepts; needs no server.</summary>
public sealed class PostgresStorageOptionsTests
{
    private const string Valid = "Host=127.0.0.1;Username=u;Password=p;Database=d";

    [Theory]
    [InlineData("public")]
    [InlineData("rookery")]
    [InlineData("_x9")]
    [InlineData("t_0123456789abcdef0123456789abcdef")]
    public void Schema_PlainLowerCaseIdentifier_IsAccepted(string schema)
    {
        PostgresStorageOptions.DescribeSchemaProblem(schema).Should().BeNull();
        var create = () => new PostgresStorage(new PostgresStorageOptions { ConnectionString = Valid, Schema = schema });

        create.Should().NotThrow("nothing is opened before first use");
    }

    [Theory]
    [InlineData("")]
    [InlineData("Rookery")]
    [InlineData("9lives")]
    [InlineData("pg_temp")]
    [InlineData("a-b")]
    [InlineData("a b")]
    [InlineData("x\"; DROP TABLE accounts; --")]
    [InlineData("émile")]
    public void Schema_NotAPlainLowerCaseIdentifier_IsRejected(string schema)
    {
        PostgresStorageOptions.DescribeSchemaProblem(schema).Should().NotBeNull();
        var create = () => new PostgresStorage(new PostgresStorageOptions { ConnectionString = Valid, Schema = schema });

        create.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("Schema");
    }

    [Fact]
    public void Schema_LongerThanPostgresNames_IsRejected()
    {
        PostgresStorageOptions.DescribeSchemaProblem(new string('a', 63)).Should().BeNull();
        PostgresStorageOptions.DescribeSchemaProblem(new string('a', 64)).Should().Contain("63");
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("Username=u;Password=p", "Host")]
    [InlineData("Host=h;Bogus=1", "bogus")]
    [InlineData("Host=h;Port=many", "not a valid")]
    public void ConnectionString_Unusable_IsRejectedSayingWhy(string connectionString, string said)
    {
        PostgresStorageOptions.DescribeConnectionStringProblem(connectionString).Should().Contain(said);
        var create = () => new PostgresStorage(new PostgresStorageOptions { ConnectionString = connectionString });

        create.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("ConnectionString");
    }

    [Fact]
    public void ConnectionString_Problem_NeverRepeatsThePassword()
    {
        PostgresStorageOptions.DescribeConnectionStringProblem("Host=h;Password=hunter2;Bogus=1").Should().NotContain("hunter2");
        PostgresStorageOptions.DescribeConnectionStringProblem("Password=hunter2").Should().NotContain("hunter2");
    }

    [Fact]
    public void PoolDefaults_NoMaximumInTheConnectionString_CapsThePoolPerNode()
    {
        var builder = PostgresStorageOptions.WithPoolDefaults(new Npgsql.NpgsqlConnectionStringBuilder(Valid), Valid);

        builder.MaxPoolSize.Should().Be(PostgresStorageOptions.DefaultMaxPoolSize).And.BeLessThan(100);
    }

    [Theory]
    [InlineData(";Maximum Pool Size=7")]
    [InlineData(";MaxPoolSize=7")]
    [InlineData(";maximum pool size=7")]
    public void PoolDefaults_MaximumGivenUnderAnySpelling_IsKept(string suffix)
    {
        var text = Valid + suffix;
        var builder = PostgresStorageOptions.WithPoolDefaults(new Npgsql.NpgsqlConnectionStringBuilder(text), text);

        builder.MaxPoolSize.Should().Be(7);
    }
}
