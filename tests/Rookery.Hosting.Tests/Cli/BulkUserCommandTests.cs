using Rookery.TestKit;

namespace Rookery.Hosting.Tests.Cli;

/// <summary><c>rookery user add-range</c> and <c>rookery user import</c> as real processes: accounts created, re-runs idempotent, bad input refused before anything is written.</summary>
[Trait("Category", "Slow")]
public sealed class BulkUserCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private string Data => _folder.Combine("data");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task AddRange_CreatesNumberedAccounts_SecondRunCountsThemAsExisting()
    {
        var first = await RunAsync("user", "add-range", "bench{0}@localhost", "--from", "3", "--count", "12", "--password", "pw", "--iterations", "16", "--batch", "5", "--data", Data);
        first.ExitCode.Should().Be(0, first.StandardError);
        first.StandardOutput.Should().Contain("Created 12 accounts, 0 existed already");

        var list = await RunAsync("user", "list", "localhost", "--data", Data);
        Lines(list.StandardOutput).Should().BeEquivalentTo(Enumerable.Range(3, 12).Select(i => $"bench{i}@localhost"));

        var again = await RunAsync("user", "add-range", "bench{0}@localhost", "--from", "10", "--count", "10", "--password", "pw", "--iterations", "16", "--data", Data);
        again.ExitCode.Should().Be(0, again.StandardError);
        again.StandardOutput.Should().Contain("Created 5 accounts, 5 existed already");
    }

    [Fact]
    public async Task AddRange_AccountsCanLogIn_WithTheGivenPasswordAndIterations()
    {
        var add = await RunAsync("user", "add-range", "u{0:D3}@localhost", "--count", "2", "--password", "secret", "--iterations", "32", "--data", Data);
        add.ExitCode.Should().Be(0, add.StandardError);

        await using var server = await TestServer.StartAsync(o => o.DataDirectory = Data);
        await using var client = await RawXmppClient.ConnectAsync("127.0.0.1", server.Port, server.Domain);
        await client.LoginAsync("u001", "secret", server.Domain);
    }

    [Fact]
    public async Task Import_CreatesEachLine_SkipsBlankAndCommentLines()
    {
        var input = "# accounts\nalice@localhost one\n\nbob@localhost two words\n  carol@example.org three\n";
        var result = await RunWithInputAsync(input, "user", "import", "--iterations", "16", "--data", Data);

        result.ExitCode.Should().Be(0, result.StandardError);
        result.StandardOutput.Should().Contain("Created 3 accounts, 0 existed already");
        Lines((await RunAsync("user", "list", "localhost", "--data", Data)).StandardOutput).Should().Equal("alice@localhost", "bob@localhost");
        Lines((await RunAsync("user", "list", "example.org", "--data", Data)).StandardOutput).Should().Equal("carol@example.org");
    }

    [Fact]
    public async Task Import_BadLine_FailsNamingTheLine_CreatesNothing()
    {
        var result = await RunWithInputAsync("alice@localhost one\nnot a jid here\n", "user", "import", "--data", Data);

        result.ExitCode.Should().NotBe(0);
        result.StandardError.Should().Contain("line 2: 'not'");
        AssertOneLineError(result);
        (await RunAsync("user", "list", "localhost", "--data", Data)).StandardOutput.Should().BeEmpty();
    }

    [Fact]
    public async Task Import_LineWithoutPassword_FailsNamingTheLine()
    {
        var result = await RunWithInputAsync("alice@localhost\n", "user", "import", "--data", Data);

        result.ExitCode.Should().NotBe(0);
        result.StandardError.Should().Contain("line 1").And.Contain("no password");
        AssertOneLineError(result);
    }

    [Fact]
    public async Task Import_EmptyInput_Fails()
    {
        var result = await RunWithInputAsync("\n# nothing\n", "user", "import", "--data", Data);

        result.ExitCode.Should().NotBe(0);
        result.StandardError.Should().Contain("no accounts");
        AssertOneLineError(result);
    }

    [Theory]
    [InlineData("bench@localhost", "no {0}")]
    [InlineData("bench{0}", "pattern@domain")]
    [InlineData("bench{1}{0}@localhost", "not a valid format")]
    [InlineData("a b{0}@localhost", "is not an account JID")]
    public async Task AddRange_BadPattern_FailsWithOneLineError(string pattern, string message)
    {
        var result = await RunAsync("user", "add-range", pattern, "--count", "3", "--password", "pw", "--data", Data);

        result.ExitCode.Should().NotBe(0);
        result.StandardError.Should().Contain(message);
        AssertOneLineError(result);
    }

    [Theory]
    [InlineData("--count", "0")]
    [InlineData("--from", "-1")]
    [InlineData("--iterations", "0")]
    [InlineData("--batch", "0")]
    public async Task AddRange_OutOfRangeNumber_FailsWithOneLineError(string option, string value)
    {
        var args = new List<string> { "user", "add-range", "b{0}@localhost", "--password", "pw", "--data", Data, option, value };
        if (option != "--count")
        {
            args.AddRange(["--count", "2"]);
        }

        var result = await RunAsync([.. args]);

        result.ExitCode.Should().NotBe(0);
        result.StandardError.Should().Contain(option);
        AssertOneLineError(result);
    }

    private Task<CommandResult> RunAsync(params string[] args) => RookeryProcess.RunAsync(_folder.Path, args);

    private Task<CommandResult> RunWithInputAsync(string stdin, params string[] args) => RookeryProcess.RunAsync(_folder.Path, args, stdin);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void AssertOneLineError(CommandResult result)
    {
        Lines(result.StandardError).Should().ContainSingle().Which.Should().StartWith("error: ");
        result.StandardError.Should().NotContain("   at ");
    }
}
