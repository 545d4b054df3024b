using Rookery.TestKit;

namespace Rookery.Hosting.Tests.Cli;

/// <summary><c>rookery version</c> and <c>rookery user ...</c> as real processes: output, exit codes, error text.</summary>
[Trait("Category", "Slow")]
public sealed class UserCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private string Data => _folder.Combine("data");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Version_PrintsNameAndVersion_ExitsZero()
    {
        var result = await RunAsync("version");

        result.ExitCode.Should().Be(0, result.StandardError);
        result.StandardOutput.Should().MatchRegex(@"^rookery \d+\.\d+\.\d+\S*\s*$");
        result.StandardError.Should().BeEmpty();
    }

    [Fact]
    public async Task UnknownVerb_ExitsNonZero_NamesIt()
    {
        var result = await RunAsync("frobnicate");

        result.ExitCode.Should().NotBe(0);
        result.StandardError.Should().Contain("frobnicate");
    }

    [Fact]
    public async Task UserAdd_ThenAgain_CreatesOnce_SecondFailsWithAlreadyExists()
    {
        var first = await RunAsync("user", "add", "alice@localhost", "--password", "x", "--data", Data);
        first.ExitCode.Should().Be(0, first.StandardError);
        first.StandardOutput.Should().Contain("Created alice@localhost");

        var second = await RunAsync("user", "add", "alice@localhost", "--password", "y", "--data", Data);
        second.ExitCode.Should().NotBe(0);
        second.StandardError.Should().Contain("already exists");
        AssertOneLineError(second);

        var list = await RunAsync("user", "list", "localhost", "--data", Data);
        list.ExitCode.Should().Be(0, list.StandardError);
        Lines(list.StandardOutput).Should().Equal("alice@localhost");
    }

    [Fact]
    public async Task UserAdd_WithoutPassword_ReadsItFromStandardInput()
    {
        var add = await RunWithInputAsync("from-stdin\n", "user", "add", "bob@localhost", "--data", Data);
        add.ExitCode.Should().Be(0, add.StandardError);
        add.StandardOutput.Should().Contain("Created bob@localhost");

        var passwd = await RunWithInputAsync("changed\n", "user", "passwd", "bob@localhost", "--data", Data);
        passwd.ExitCode.Should().Be(0, passwd.StandardError);
        passwd.StandardOutput.Should().Contain("Changed the password of bob@localhost");
    }

    [Fact]
    public async Task UserAdd_EmptyStandardInput_FailsAskingForAPassword()
    {
        var add = await RunWithInputAsync(string.Empty, "user", "add", "bob@localhost", "--data", Data);

        add.ExitCode.Should().NotBe(0);
        add.StandardError.Should().Contain("password");
        AssertOneLineError(add);
    }

    [Fact]
    public async Task UserPasswd_MissingUser_FailsWithDoesNotExist()
    {
        var result = await RunAsync("user", "passwd", "nobody@localhost", "--password", "x", "--data", Data);

        result.ExitCode.Should().NotBe(0);
        result.StandardError.Should().Contain("nobody@localhost does not exist");
        AssertOneLineError(result);
    }

    [Fact]
    public async Task UserDelete_ThenList_IsEmpty()
    {
        (await RunAsync("user", "add", "carol@localhost", "--password", "x", "--data", Data)).ExitCode.Should().Be(0);

        var delete = await RunAsync("user", "delete", "carol@localhost", "--data", Data);
        delete.ExitCode.Should().Be(0, delete.StandardError);
        delete.StandardOutput.Should().Contain("Deleted carol@localhost");

        var list = await RunAsync("user", "list", "localhost", "--data", Data);
        list.ExitCode.Should().Be(0, list.StandardError);
        list.StandardOutput.Should().BeEmpty();

        var again = await RunAsync("user", "delete", "carol@localhost", "--data", Data);
        again.ExitCode.Should().NotBe(0);
        again.StandardError.Should().Contain("does not exist");
    }

    [Theory]
    [InlineData("notajid")]
    [InlineData("alice@localhost/phone")]
    [InlineData("a b@localhost")]
    [InlineData("alice@bad domain")]
    public async Task UserAdd_InvalidJid_FailsWithOneLineError(string jid)
    {
        var result = await RunAsync("user", "add", jid, "--password", "x", "--data", Data);

        result.ExitCode.Should().NotBe(0);
        result.StandardError.Should().Contain($"'{jid}' is not an account JID");
        AssertOneLineError(result);
    }

    [Fact]
    public async Task UserList_InvalidDomain_FailsWithOneLineError()
    {
        var result = await RunAsync("user", "list", "bad domain", "--data", Data);

        result.ExitCode.Should().NotBe(0);
        result.StandardError.Should().Contain("'bad domain' is not a domain name");
        AssertOneLineError(result);
    }

    [Fact]
    public async Task User_ConfigFileWithUnknownKey_FailsNamingTheKey()
    {
        var config = _folder.Write("rookery.json", """{ "Storage": { "Sqlite": { "Pth": "x.db" } } }""");

        var result = await RunAsync("user", "list", "localhost", "--config", config, "--data", Data);

        result.ExitCode.Should().NotBe(0);
        result.StandardError.Should().Contain("'Storage:Sqlite:Pth'");
        AssertOneLineError(result);
    }

    private Task<CommandResult> RunAsync(params string[] args) => RookeryProcess.RunAsync(_folder.Path, args);

    [Fact]
    public async Task User_DataFolderUnderAFile_FailsNamingDataDirectory()
    {
        // A folder that no one, root included, can create: its parent is a regular file.
        var blocker = _folder.Write("blocker", "not a folder");

        var result = await RunAsync("user", "list", "localhost", "--data", Path.Combine(blocker, "data"));

        result.ExitCode.Should().NotBe(0);
        result.StandardError.Should().Contain("'DataDirectory'").And.Contain("cannot be created");
        AssertOneLineError(result);
    }

    private Task<CommandResult> RunWithInputAsync(string stdin, params string[] args) => RookeryProcess.RunAsync(_folder.Path, args, stdin);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Errors are one line, "error: ...", with no stack trace.</summary>
    private static void AssertOneLineError(CommandResult result)
    {
        Lines(result.StandardError).Should().ContainSingle().Which.Should().StartWith("error: ");
        result.StandardError.Should().NotContain("   at ");
    }
}
