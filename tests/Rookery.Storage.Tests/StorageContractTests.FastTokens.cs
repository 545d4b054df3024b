namespace Rookery.Storage.Tests;

/// <content>FAST authentication tokens (XEP-0484).</content>
public abstract partial class StorageContractTests
{
    private const string Agent = "d4565fa7-4d72-4749-b3d3-740edbf87770";
    private static readonly DateTimeOffset FastExpires = new(2027, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);

    private static FastToken Fast(FastTokenSlot slot, string token, string owner = Alice, string agent = Agent) =>
        new(owner, agent, slot, "HT-SHA-256-NONE", token, FastExpires);

    [StorageFact]
    public async Task FastTokens_None_IsEmpty()
    {
        (await Storage.FastTokens.GetAsync(Alice, Agent)).Should().BeEmpty();
    }

    [StorageFact]
    public async Task FastTokens_Set_ReadBackWithEveryField_NewSlotFirst_AlsoFromAnotherInstance()
    {
        var current = Fast(FastTokenSlot.Current, "c") with { Mechanism = "HT-SHA-256-ENDP" };
        var next = Fast(FastTokenSlot.New, "n");

        await Storage.FastTokens.SetAsync(current);
        await Storage.FastTokens.SetAsync(next);

        (await Storage.FastTokens.GetAsync(Alice, Agent)).Should().Equal(next, current);
        (await Storage.FastTokens.GetAsync(Alice, "other-agent")).Should().BeEmpty("tokens belong to one client installation");
        (await Storage.FastTokens.GetAsync(Bob, Agent)).Should().BeEmpty("and to one account");
        var other = await OpenAsync();
        (await other.FastTokens.GetAsync(Alice, Agent)).Should().Equal(next, current);
    }

    [StorageFact]
    public async Task FastTokens_SetSameSlotAgain_ReplacesIt()
    {
        await Storage.FastTokens.SetAsync(Fast(FastTokenSlot.New, "first"));
        var second = Fast(FastTokenSlot.New, "second") with { Expires = FastExpires.AddDays(1) };

        await Storage.FastTokens.SetAsync(second);

        (await Storage.FastTokens.GetAsync(Alice, Agent)).Should().Equal(second);
    }

    [StorageFact]
    public async Task FastTokens_Promote_NewReplacesCurrent()
    {
        await Storage.FastTokens.SetAsync(Fast(FastTokenSlot.Current, "old"));
        await Storage.FastTokens.SetAsync(Fast(FastTokenSlot.New, "fresh"));

        (await Storage.FastTokens.PromoteAsync(Alice, Agent, "fresh")).Should().BeTrue();

        (await Storage.FastTokens.GetAsync(Alice, Agent)).Should().Equal(Fast(FastTokenSlot.Current, "fresh"));
    }

    [StorageFact]
    public async Task FastTokens_PromoteATokenNoLongerInTheNewSlot_False_NothingChanges()
    {
        await Storage.FastTokens.SetAsync(Fast(FastTokenSlot.Current, "old"));
        await Storage.FastTokens.SetAsync(Fast(FastTokenSlot.New, "replaced-meanwhile"));

        (await Storage.FastTokens.PromoteAsync(Alice, Agent, "fresh")).Should().BeFalse();

        (await Storage.FastTokens.GetAsync(Alice, Agent)).Should().Equal(Fast(FastTokenSlot.New, "replaced-meanwhile"), Fast(FastTokenSlot.Current, "old"));
    }

    [StorageFact]
    public async Task FastTokens_Delete_RemovesBothSlotsOfThatClientOnly()
    {
        await Storage.FastTokens.SetAsync(Fast(FastTokenSlot.Current, "c"));
        await Storage.FastTokens.SetAsync(Fast(FastTokenSlot.New, "n"));
        await Storage.FastTokens.SetAsync(Fast(FastTokenSlot.Current, "other", agent: "other-agent"));

        (await Storage.FastTokens.DeleteAsync(Alice, Agent)).Should().Be(2);

        (await Storage.FastTokens.GetAsync(Alice, Agent)).Should().BeEmpty();
        (await Storage.FastTokens.GetAsync(Alice, "other-agent")).Should().ContainSingle();
    }

    [StorageFact]
    public async Task FastTokens_AccountDeleted_TokensGo()
    {
        await Storage.Accounts.CreateAsync(Domain, "alice", [Credential("SHA-256", 1)]);
        await Storage.FastTokens.SetAsync(Fast(FastTokenSlot.Current, "c"));

        await Storage.Accounts.DeleteAsync(Domain, "alice");

        (await Storage.FastTokens.GetAsync(Alice, Agent)).Should().BeEmpty();
    }

    [StorageFact]
    public async Task FastTokens_CredentialsChanged_TokensGo_OtherAccountsKeepTheirs()
    {
        await Storage.Accounts.CreateAsync(Domain, "alice", [Credential("SHA-256", 1)]);
        await Storage.FastTokens.SetAsync(Fast(FastTokenSlot.Current, "c"));
        await Storage.FastTokens.SetAsync(Fast(FastTokenSlot.New, "n"));
        await Storage.FastTokens.SetAsync(Fast(FastTokenSlot.Current, "b", owner: Bob));

        (await Storage.Accounts.SetCredentialsAsync(Domain, "alice", [Credential("SHA-256", 2)])).Should().BeTrue();

        (await Storage.FastTokens.GetAsync(Alice, Agent)).Should().BeEmpty("a new password ends the tokens taken with the old one");
        (await Storage.FastTokens.GetAsync(Bob, Agent)).Should().ContainSingle();
    }
}
