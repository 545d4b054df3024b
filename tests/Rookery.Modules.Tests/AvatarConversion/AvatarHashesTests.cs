using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Rookery.Modules.AvatarConversion;
using Rookery.Modules.VCard;
using Rookery.Protocol.Addressing;
using Rookery.Server.Modules;

namespace Rookery.Modules.Tests.AvatarConversion;

public sealed class AvatarHashesTests : SqliteTestBase
{
    private static readonly Jid Alice = Jid.Parse("alice@example.org");
    private static readonly string PngHash = Convert.ToHexStringLower(SHA1.HashData(AvatarImageTests.Png));

    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly AccountChanges _changes = new();

    [Fact]
    public async Task GetAsync_VCardChangedBehindItsBack_CachedUntilAnotherNodeAnnouncesIt()
    {
        var (vcards, hashes) = Create();
        (await hashes.GetAsync(Alice, default)).Should().BeNull();

        // Another node of the cluster stores the photo: same database, this node's cache knows nothing yet.
        await vcards.StoreOnBehalfAsync(Alice, AvatarImageTests.PhotoCard(AvatarImageTests.Png, "image/png"), default);
        var before = await hashes.GetAsync(Alice, default);
        _changes.Deliver("avatar", Alice, string.Empty);
        var after = await hashes.GetAsync(Alice, default);

        before.Should().BeNull("the entry is cached");
        after.Should().Be(PngHash);
    }

    [Fact]
    public async Task GetAsync_LinkCameUp_EveryEntryReloaded()
    {
        var (vcards, hashes) = Create();
        await hashes.GetAsync(Alice, default);
        await vcards.StoreOnBehalfAsync(Alice, AvatarImageTests.PhotoCard(AvatarImageTests.Png, "image/png"), default);

        _changes.DeliverEverythingChanged();

        (await hashes.GetAsync(Alice, default)).Should().Be(PngHash);
    }

    [Fact]
    public async Task GetAsync_NothingAnnounced_ReloadedAfterTheLifetime()
    {
        var (vcards, hashes) = Create();
        await hashes.GetAsync(Alice, default);
        await vcards.StoreOnBehalfAsync(Alice, AvatarImageTests.PhotoCard(AvatarImageTests.Png, "image/png"), default);

        _clock.Advance(AvatarHashes.CacheLifetime - TimeSpan.FromSeconds(1));
        var cached = await hashes.GetAsync(Alice, default);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var reloaded = await hashes.GetAsync(Alice, default);

        cached.Should().BeNull();
        reloaded.Should().Be(PngHash);
    }

    [Fact]
    public async Task Changed_DropsTheEntryHereAndAnnouncesTheAccountToOtherNodes()
    {
        var (vcards, hashes) = Create();
        var announced = new List<(string Topic, Jid Account)>();
        _changes.Transport = (topic, account, _) => announced.Add((topic, account));
        await hashes.GetAsync(Alice, default);
        await vcards.StoreOnBehalfAsync(Alice, AvatarImageTests.PhotoCard(AvatarImageTests.Png, "image/png"), default);

        hashes.Changed(Jid.Parse("alice@example.org/phone"));

        (await hashes.GetAsync(Alice, default)).Should().Be(PngHash);
        announced.Should().Equal(("avatar", Alice));
    }

    private (VCardModule VCards, AvatarHashes Hashes) Create()
    {
        var vcards = new VCardModule(Storage.UserData, Options.Create(new VCardOptions()));
        return (vcards, new AvatarHashes(vcards, _changes, _clock, NullLogger<AvatarHashes>.Instance));
    }
}
