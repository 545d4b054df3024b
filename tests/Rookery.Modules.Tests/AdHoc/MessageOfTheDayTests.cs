using Microsoft.Extensions.Logging.Abstractions;
using Rookery.Modules.Motd;
using Rookery.Protocol.Errors;
using Rookery.Server.Modules;

namespace Rookery.Modules.Tests.AdHoc;

public sealed class MessageOfTheDayTests : SqliteTestBase
{
    [Fact]
    public async Task Set_SeenByAnotherNodeOnlyAfterItsCacheIsInvalidated_PerHost()
    {
        // Two nodes over one database, each with its own cache; the cluster's link is played by hand.
        var changesA = new AccountChanges();
        var changesB = new AccountChanges();
        changesA.Transport = (topic, account, detail) => changesB.Deliver(topic, account, detail);
        var a = new MessageOfTheDay(Storage.UserData, changesA, NullLogger<MessageOfTheDay>.Instance);
        var b = new MessageOfTheDay(Storage.UserData, changesB, NullLogger<MessageOfTheDay>.Instance);

        (await b.GetAsync("example.org")).Should().BeNull();
        await a.SetAsync("example.org", "Hello\nWorld");

        (await b.GetAsync("example.org")).Should().Be("Hello\nWorld", "the change dropped b's cached 'none'");
        (await b.GetAsync("other.example")).Should().BeNull();

        await a.SetAsync("example.org", null);
        (await b.GetAsync("example.org")).Should().BeNull();
    }

    [Fact]
    public async Task CachedValue_StaysUntilTold_ThenEverythingChangedDropsIt()
    {
        var changes = new AccountChanges();
        var reader = new MessageOfTheDay(Storage.UserData, changes, NullLogger<MessageOfTheDay>.Instance);
        var writer = new MessageOfTheDay(Storage.UserData, new AccountChanges(), NullLogger<MessageOfTheDay>.Instance);
        (await reader.GetAsync("example.org")).Should().BeNull();

        await writer.SetAsync("example.org", "New");

        (await reader.GetAsync("example.org")).Should().BeNull("nothing told the reader yet");
        changes.DeliverEverythingChanged();
        (await reader.GetAsync("example.org")).Should().Be("New");
    }

    [Fact]
    public async Task Set_TooLong_NotAcceptable_NothingStored()
    {
        var motd = new MessageOfTheDay(Storage.UserData, new AccountChanges(), NullLogger<MessageOfTheDay>.Instance);

        var act = async () => await motd.SetAsync("example.org", new string('x', MessageOfTheDay.MaxBytes + 1));

        (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.NotAcceptable);
        (await new MessageOfTheDay(Storage.UserData, new AccountChanges(), NullLogger<MessageOfTheDay>.Instance).GetAsync("example.org")).Should().BeNull();
    }
}
