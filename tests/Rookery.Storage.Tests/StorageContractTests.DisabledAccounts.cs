namespace Rookery.Storage.Tests;

public abstract partial class StorageContractTests
{
    // ---------------------------------------------------------------- disabled accounts (XEP-0133 §4.3, §4.4)

    [StorageFact]
    public async Task SetDisabled_DisableThenReenable_ReportedAndListedPerDomain_DataKept()
    {
        await Storage.Accounts.CreateAsync(Domain, "alice", [Credential("SHA-256", 1)]);
        await Storage.Accounts.CreateAsync(Domain, "bob", [Credential("SHA-256", 2)]);
        await Storage.Accounts.CreateAsync("other.example", "alice", [Credential("SHA-256", 3)]);

        (await Storage.Accounts.IsDisabledAsync(Domain, "alice")).Should().BeFalse("a new account starts enabled");
        (await Storage.Accounts.SetDisabledAsync(Domain, "alice", true)).Should().BeTrue();
        (await Storage.Accounts.SetDisabledAsync(Domain, "alice", true)).Should().BeTrue("disabling twice is no error");

        (await Storage.Accounts.IsDisabledAsync(Domain, "alice")).Should().BeTrue();
        (await Storage.Accounts.IsDisabledAsync(Domain, "bob")).Should().BeFalse();
        (await Storage.Accounts.IsDisabledAsync("other.example", "alice")).Should().BeFalse();
        (await Storage.Accounts.ListDisabledAsync(Domain)).Should().Equal("alice");
        (await Storage.Accounts.ListDisabledAsync("other.example")).Should().BeEmpty();
        (await Storage.Accounts.GetCredentialsAsync(Domain, "alice")).Should().BeEquivalentTo([Credential("SHA-256", 1)]);
        (await Storage.Accounts.CountAsync(Domain)).Should().Be(2, "a disabled account is still registered");

        (await Storage.Accounts.SetDisabledAsync(Domain, "alice", false)).Should().BeTrue();

        (await Storage.Accounts.IsDisabledAsync(Domain, "alice")).Should().BeFalse();
        (await Storage.Accounts.ListDisabledAsync(Domain)).Should().BeEmpty();
    }

    [StorageFact]
    public async Task SetDisabled_MissingAccount_ReturnsFalse_AndRecreatedAccountStartsEnabled()
    {
        (await Storage.Accounts.SetDisabledAsync(Domain, "ghost", true)).Should().BeFalse();
        (await Storage.Accounts.IsDisabledAsync(Domain, "ghost")).Should().BeFalse();

        await Storage.Accounts.CreateAsync(Domain, "alice", [Credential("SHA-256", 1)]);
        await Storage.Accounts.SetDisabledAsync(Domain, "alice", true);
        await Storage.Accounts.DeleteAsync(Domain, "alice");
        await Storage.Accounts.CreateAsync(Domain, "alice", [Credential("SHA-256", 2)]);

        (await Storage.Accounts.IsDisabledAsync(Domain, "alice")).Should().BeFalse();
        (await Storage.Accounts.ListDisabledAsync(Domain)).Should().BeEmpty();
    }

    [StorageFact]
    public async Task SetDisabled_SeenByAnotherInstanceOnTheSameStore()
    {
        // Cluster nodes share one database: a node that did not disable the account must refuse its login too.
        await Storage.Accounts.CreateAsync(Domain, "alice", [Credential("SHA-256", 1)]);
        var other = await OpenAsync();

        await Storage.Accounts.SetDisabledAsync(Domain, "alice", true);

        (await other.Accounts.IsDisabledAsync(Domain, "alice")).Should().BeTrue();
    }
}
