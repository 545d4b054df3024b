using Rookery.Bench.Cli;
using Rookery.Bench.Provisioning;

namespace Rookery.Bench.Tests;

public sealed class ParsingTests
{
    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("500ms", 500)]
    [InlineData("2m", 120_000)]
    [InlineData("1.5", 1_500)]
    [InlineData("0.25s", 250)]
    public void DurationParser_Parse_AcceptsUnits(string text, int milliseconds) =>
        DurationParser.Parse(text, "--duration").Should().Be(TimeSpan.FromMilliseconds(milliseconds));

    [Fact]
    public void DurationParser_Parse_AcceptsMicroseconds() =>
        DurationParser.Parse("200us", "--tick").Should().Be(TimeSpan.FromMicroseconds(200));

    [Theory]
    [InlineData("soon")]
    [InlineData("-1s")]
    [InlineData("")]
    public void DurationParser_Parse_RefusesGarbage(string text)
    {
        var act = () => DurationParser.Parse(text, "--duration");
        act.Should().Throw<BenchUsageException>().WithMessage("*--duration*");
    }

    [Fact]
    public void CommandProvisioner_Split_GroupsQuotesLikeAShell()
    {
        CommandProvisioner.Split("rookery user add {user}@{domain} --password '{password}' --data \"/tmp/my data\"")
            .Should().Equal("rookery", "user", "add", "{user}@{domain}", "--password", "{password}", "--data", "/tmp/my data");
    }

    [Fact]
    public async Task CommandProvisioner_Exit0_IsCreated_AndFailureCarriesTheOutput()
    {
        (await new CommandProvisioner("true {user}").ProvisionAsync(0, "u", "localhost", "pw", CancellationToken.None)).Should().BeTrue();
        (await new CommandProvisioner("sh -c 'echo {jid} already exists >&2; exit 1'").ProvisionAsync(0, "u", "localhost", "pw", CancellationToken.None)).Should().BeFalse();
        var act = () => new CommandProvisioner("sh -c 'echo boom {user} >&2; exit 3'").ProvisionAsync(0, "u7", "localhost", "pw", CancellationToken.None);
        (await act.Should().ThrowAsync<InvalidOperationException>()).WithMessage("*exited with 3*boom u7*");
    }
}
