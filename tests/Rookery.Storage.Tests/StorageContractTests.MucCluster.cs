namespace Rookery.Storage.Tests;

/// <content>Room host claims and occupant records of clustered MUC rooms (issue #7).</content>
public abstract partial class StorageContractTests
{
    private static MucOccupantRecord Occupant(string nick, string realJid, long node, string role = "participant", string? presence = "<presence/>") =>
        new(Coffee, nick, realJid, node, role, "none", presence);

    [StorageFact]
    public async Task MucCluster_ClaimRoom_FirstClaimWins_OthersSeeTheHolder()
    {
        (await Storage.MucCluster.FindRoomHostAsync(Coffee)).Should().BeNull();
        (await Storage.MucCluster.ClaimRoomAsync(Coffee, 7)).Should().Be(7);
        (await Storage.MucCluster.ClaimRoomAsync(Coffee, 9)).Should().Be(7);
        (await Storage.MucCluster.ClaimRoomAsync(Coffee, 7)).Should().Be(7);
        (await Storage.MucCluster.FindRoomHostAsync(Coffee)).Should().Be(7);
    }

    [StorageFact]
    public async Task MucCluster_ClaimRoom_ConcurrentClaims_ExactlyOneHolder()
    {
        var claims = await Task.WhenAll(Enumerable.Range(1, 8).Select(node => Task.Run(() => Storage.MucCluster.ClaimRoomAsync(Tea, node))));

        claims.Distinct().Should().ContainSingle();
        (await Storage.MucCluster.FindRoomHostAsync(Tea)).Should().Be(claims[0]);
    }

    [StorageFact]
    public async Task MucCluster_ReleaseRoom_OnlyByTheHolder()
    {
        await Storage.MucCluster.ClaimRoomAsync(Coffee, 7);

        (await Storage.MucCluster.ReleaseRoomAsync(Coffee, 9)).Should().BeFalse();
        (await Storage.MucCluster.FindRoomHostAsync(Coffee)).Should().Be(7);
        (await Storage.MucCluster.ReleaseRoomAsync(Coffee, 7)).Should().BeTrue();
        (await Storage.MucCluster.FindRoomHostAsync(Coffee)).Should().BeNull();
        (await Storage.MucCluster.ClaimRoomAsync(Coffee, 9)).Should().Be(9);
    }

    [StorageFact]
    public async Task MucCluster_TakeOverRooms_MovesTheDeadNodesClaimsOnce()
    {
        await Storage.MucCluster.ClaimRoomAsync(Tea, 7);
        await Storage.MucCluster.ClaimRoomAsync(Coffee, 7);
        await Storage.MucCluster.ClaimRoomAsync("other@conference.example.org", 8);

        (await Storage.MucCluster.TakeOverRoomsAsync(7, 9)).Should().Equal(Coffee, Tea);
        (await Storage.MucCluster.TakeOverRoomsAsync(7, 10)).Should().BeEmpty();
        (await Storage.MucCluster.FindRoomHostAsync(Tea)).Should().Be(9);
        (await Storage.MucCluster.FindRoomHostAsync("other@conference.example.org")).Should().Be(8);
    }

    [StorageFact]
    public async Task MucCluster_Occupants_SetReplacesByNick_ListsInOrder_RemoveAndClear()
    {
        await Storage.MucCluster.SetOccupantAsync(Occupant("zed", "zed@example.org/a", 1));
        await Storage.MucCluster.SetOccupantAsync(Occupant("amy", "amy@example.org/a", 2));
        await Storage.MucCluster.SetOccupantAsync(Occupant("amy", "amy@example.org/b", 3, "moderator", null));
        await Storage.MucCluster.SetOccupantAsync(Occupant("bob", Bob + "/x", 1) with { Room = Tea });

        (await Storage.MucCluster.ListOccupantsAsync(Coffee)).Should().Equal(
            Occupant("amy", "amy@example.org/b", 3, "moderator", null),
            Occupant("zed", "zed@example.org/a", 1));
        (await Storage.MucCluster.RemoveOccupantAsync(Coffee, "zed")).Should().BeTrue();
        (await Storage.MucCluster.RemoveOccupantAsync(Coffee, "zed")).Should().BeFalse();
        (await Storage.MucCluster.ClearOccupantsAsync(Coffee)).Should().Be(1);
        (await Storage.MucCluster.ListOccupantsAsync(Coffee)).Should().BeEmpty();
        (await Storage.MucCluster.ListOccupantsAsync(Tea)).Should().ContainSingle();
    }

    [StorageFact]
    public async Task MucCluster_SetOccupant_BadRole_Throws()
    {
        var act = () => Storage.MucCluster.SetOccupantAsync(Occupant("amy", "amy@example.org/a", 1, "king"));

        await act.Should().ThrowAsync<ArgumentException>();
    }
}
