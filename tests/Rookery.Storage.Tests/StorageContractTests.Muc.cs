namespace Rookery.Storage.Tests;

/// <content>Persistent multi-user chat rooms and affiliations (XEP-0045).</content>
public abstract partial class StorageContractTests
{
    private const string Coffee = "coffee@conference.example.org";
    private const string Tea = "tea@conference.example.org";

    private static StoredMucRoom Room(string room, string config = """{"name":"Room"}""", string? subject = null, params MucAffiliationRecord[] affiliations) =>
        new(room, config, subject, subject is null ? null : "Alice", affiliations);

    [StorageFact]
    public async Task Muc_NothingStored_ListsNothingAndGetsNull()
    {
        (await Storage.Muc.ListRoomsAsync("conference.example.org")).Should().BeEmpty();
        (await Storage.Muc.GetRoomAsync(Coffee)).Should().BeNull();
        (await Storage.Muc.DeleteRoomAsync(Coffee)).Should().BeFalse();
        (await Storage.Muc.SetSubjectAsync(Coffee, "x", "y")).Should().BeFalse();
        (await Storage.Muc.SetAffiliationAsync(Coffee, new MucAffiliationRecord(Alice, "owner"))).Should().BeFalse();
    }

    [StorageFact]
    public async Task Muc_SaveRoom_ReadsBackWithAffiliationsInOrdinalOrder_ListedPerService()
    {
        await Storage.Muc.SaveRoomAsync(Room(Tea, """{"name":"Tea"}""", "Darjeeling",
            new MucAffiliationRecord(Bob, "member", null, "Bobby"),
            new MucAffiliationRecord(Alice, "owner"),
            new MucAffiliationRecord("mallory@example.net", "outcast", "Spam")));
        await Storage.Muc.SaveRoomAsync(Room(Coffee));
        await Storage.Muc.SaveRoomAsync(Room("other@muc.example.net"));

        (await Storage.Muc.ListRoomsAsync("conference.example.org")).Should().Equal(Coffee, Tea);
        (await Storage.Muc.ListRoomsAsync("muc.example.net")).Should().Equal("other@muc.example.net");
        var tea = (await Storage.Muc.GetRoomAsync(Tea))!;
        tea.Config.Should().Be("""{"name":"Tea"}""");
        tea.Subject.Should().Be("Darjeeling");
        tea.SubjectNick.Should().Be("Alice");
        tea.Affiliations.Should().Equal(
            new MucAffiliationRecord(Alice, "owner"),
            new MucAffiliationRecord(Bob, "member", null, "Bobby"),
            new MucAffiliationRecord("mallory@example.net", "outcast", "Spam"));
    }

    [StorageFact]
    public async Task Muc_SaveRoomAgain_ReplacesConfigSubjectAndAffiliations()
    {
        await Storage.Muc.SaveRoomAsync(Room(Coffee, """{"v":1}""", "old", new MucAffiliationRecord(Alice, "owner"), new MucAffiliationRecord(Bob, "admin")));

        await Storage.Muc.SaveRoomAsync(Room(Coffee, """{"v":2}""", null, new MucAffiliationRecord(Bob, "owner")));

        var room = (await Storage.Muc.GetRoomAsync(Coffee))!;
        room.Config.Should().Be("""{"v":2}""");
        room.Subject.Should().BeNull();
        room.Affiliations.Should().Equal(new MucAffiliationRecord(Bob, "owner"));
    }

    [StorageFact]
    public async Task Muc_SetAffiliation_AddsChangesAndRemoves()
    {
        await Storage.Muc.SaveRoomAsync(Room(Coffee, affiliations: new MucAffiliationRecord(Alice, "owner")));

        (await Storage.Muc.SetAffiliationAsync(Coffee, new MucAffiliationRecord(Bob, "member", null, "Bobby"))).Should().BeTrue();
        (await Storage.Muc.GetRoomAsync(Coffee))!.Affiliations.Should().Contain(new MucAffiliationRecord(Bob, "member", null, "Bobby"));

        (await Storage.Muc.SetAffiliationAsync(Coffee, new MucAffiliationRecord(Bob, "outcast", "Troll"))).Should().BeTrue();
        (await Storage.Muc.GetRoomAsync(Coffee))!.Affiliations.Should().Contain(new MucAffiliationRecord(Bob, "outcast", "Troll"));

        // 'none' with a reserved nick stays; 'none' without one removes the row.
        (await Storage.Muc.SetAffiliationAsync(Coffee, new MucAffiliationRecord(Bob, "none", null, "Bobby"))).Should().BeTrue();
        (await Storage.Muc.GetRoomAsync(Coffee))!.Affiliations.Should().Contain(new MucAffiliationRecord(Bob, "none", null, "Bobby"));
        (await Storage.Muc.SetAffiliationAsync(Coffee, new MucAffiliationRecord(Bob, "none"))).Should().BeTrue();
        (await Storage.Muc.GetRoomAsync(Coffee))!.Affiliations.Should().Equal(new MucAffiliationRecord(Alice, "owner"));
    }

    [StorageFact]
    public async Task Muc_SetAffiliation_UnknownAffiliation_Throws()
    {
        await Storage.Muc.SaveRoomAsync(Room(Coffee));

        var act = () => Storage.Muc.SetAffiliationAsync(Coffee, new MucAffiliationRecord(Bob, "superuser"));

        await act.Should().ThrowAsync<ArgumentException>();
    }

    [StorageFact]
    public async Task Muc_SetSubject_KeepsConfigAndAffiliations()
    {
        await Storage.Muc.SaveRoomAsync(Room(Coffee, """{"v":1}""", null, new MucAffiliationRecord(Alice, "owner")));

        (await Storage.Muc.SetSubjectAsync(Coffee, "Espresso", "Bob")).Should().BeTrue();

        var room = (await Storage.Muc.GetRoomAsync(Coffee))!;
        room.Subject.Should().Be("Espresso");
        room.SubjectNick.Should().Be("Bob");
        room.Config.Should().Be("""{"v":1}""");
        room.Affiliations.Should().ContainSingle();
    }

    [StorageFact]
    public async Task Muc_DeleteRoom_RemovesRoomAndAffiliations_OthersStay()
    {
        await Storage.Muc.SaveRoomAsync(Room(Coffee, affiliations: new MucAffiliationRecord(Alice, "owner")));
        await Storage.Muc.SaveRoomAsync(Room(Tea, affiliations: new MucAffiliationRecord(Bob, "owner")));

        (await Storage.Muc.DeleteRoomAsync(Coffee)).Should().BeTrue();

        (await Storage.Muc.GetRoomAsync(Coffee)).Should().BeNull();
        (await Storage.Muc.ListRoomsAsync("conference.example.org")).Should().Equal(Tea);
        // Saved again, the room starts without the old affiliations.
        await Storage.Muc.SaveRoomAsync(Room(Coffee));
        (await Storage.Muc.GetRoomAsync(Coffee))!.Affiliations.Should().BeEmpty();
        (await Storage.Muc.GetRoomAsync(Tea))!.Affiliations.Should().ContainSingle();
    }

    [StorageFact]
    public async Task Muc_Room_SurvivesReopening()
    {
        await Storage.Muc.SaveRoomAsync(Room(Coffee, """{"v":7}""", "kept", new MucAffiliationRecord(Alice, "owner")));

        var reopened = await OpenAsync();

        var room = (await reopened.Muc.GetRoomAsync(Coffee))!;
        room.Config.Should().Be("""{"v":7}""");
        room.Subject.Should().Be("kept");
        room.Affiliations.Should().Equal(new MucAffiliationRecord(Alice, "owner"));
    }
}
