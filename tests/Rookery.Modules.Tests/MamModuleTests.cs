using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Rookery.Modules.Mam;
using Rookery.Protocol.Errors;
using Rookery.Server.Modules;
using Rookery.Server.Sessions;
using Rookery.Server.Util;
using Rookery.Storage;

namespace Rookery.Modules.Tests;

public sealed class MamModuleTests : SqliteTestBase
{
    private const string Alice = "alice@example.org";
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Configure_ArchiveFeaturesOnTheAccountNotTheHost_AndBothHooksBelowZero()
    {
        var harness = ModuleHarness.For(CreateModule());

        harness.Features.Should().BeEmpty();
        harness.AccountFeatures.Should().Equal("urn:xmpp:mam:2", "urn:xmpp:mam:2#extended", "urn:xmpp:sid:0");
        harness.Hooks.Select(h => (h.Point, h.Priority)).Should().Equal((HookPoint.Inbound, MamModule.HookPriority), (HookPoint.Outbound, MamModule.HookPriority));
        MamModule.HookPriority.Should().BeNegative("blocking and other hooks that reject stanzas run first");
    }

    [Fact]
    public async Task Query_FromAnotherAccount_Forbidden()
    {
        var harness = ModuleHarness.For(CreateModule());

        var act = () => harness.SetAsync("bob@example.org/r", Alice, "<query xmlns='urn:xmpp:mam:2'/>");

        (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.Forbidden);
    }

    [Fact]
    public void IdGenerator_SameMillisecondAndClockGoingBack_StillStrictlyIncreasing()
    {
        var ids = new ArchiveIdGenerator(_clock);
        var issued = new List<string>();
        for (var i = 0; i < 50; i++)
        {
            issued.Add(ids.Next());
        }

        _clock.Advance(TimeSpan.FromMinutes(-5));
        issued.Add(ids.Next());
        _clock.Advance(TimeSpan.FromMinutes(10));
        issued.Add(ids.Next());

        issued.Should().OnlyHaveUniqueItems();
        issued.Should().BeInAscendingOrder(StringComparer.Ordinal);
        issued.Should().AllSatisfy(id => id.Should().HaveLength(ArchiveIdGenerator.Length).And.MatchRegex("^[0-9a-hjkmnp-tv-z]+$"));
    }

    [Fact]
    public void IdGenerator_TwoGeneratorsSameInstant_Differ()
    {
        new ArchiveIdGenerator(_clock).Next().Should().NotBe(new ArchiveIdGenerator(_clock).Next());
    }

    [Theory]
    [InlineData("<message type='chat'><body>x</body></message>", true)]
    [InlineData("<message><body>x</body></message>", true)]
    [InlineData("<message type='normal'><body/></message>", true)]
    [InlineData("<message type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>", false)]
    [InlineData("<message type='groupchat'><body>x</body></message>", false)]
    [InlineData("<message type='error'><body>x</body></message>", false)]
    [InlineData("<message type='headline'><body>x</body></message>", false)]
    [InlineData("<message type='chat'><body>x</body><no-store xmlns='urn:xmpp:hints'/></message>", false)]
    [InlineData("<message type='chat'><body>x</body><no-permanent-store xmlns='urn:xmpp:hints'/></message>", false)]
    [InlineData("<message type='chat'><x xmlns='urn:example'/><store xmlns='urn:xmpp:hints'/></message>", true)]
    [InlineData("<message type='headline'><body>x</body><store xmlns='urn:xmpp:hints'/></message>", true)]
    [InlineData("<message type='error'><body>x</body><store xmlns='urn:xmpp:hints'/></message>", false)]
    [InlineData("<message type='chat'><body xmlns='urn:example'>x</body></message>", false)]
    public void IsArchivable_FollowsTheStorageRulesAndHints(string xml, bool archivable)
    {
        MamArchiver.IsArchivable(StoredStanza.Parse(xml)).Should().Be(archivable);
    }

    [Fact]
    public async Task Retention_PrunesMessagesOlderThanTheRetentionByTheInjectedClock()
    {
        var now = _clock.GetUtcNow();
        await Storage.Archive.AppendAsync(Alice, Archived("a", now.AddDays(-31)));
        await Storage.Archive.AppendAsync(Alice, Archived("b", now.AddDays(-29)));
        var service = new MamRetentionService(Storage.Archive, Options.Create(new MamOptions { RetentionDays = 30 }), _clock, NullLogger<MamRetentionService>.Instance);

        (await service.PruneOnceAsync(CancellationToken.None)).Should().Be(1);
        _clock.Advance(TimeSpan.FromDays(2));
        (await service.PruneOnceAsync(CancellationToken.None)).Should().Be(1);

        (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery()))!.Count.Should().Be(0);
    }

    [Fact]
    public async Task Retention_Zero_KeepsEverything()
    {
        await Storage.Archive.AppendAsync(Alice, Archived("a", _clock.GetUtcNow().AddYears(-20)));
        var service = new MamRetentionService(Storage.Archive, Options.Create(new MamOptions()), _clock, NullLogger<MamRetentionService>.Instance);

        (await service.PruneOnceAsync(CancellationToken.None)).Should().Be(0);

        (await Storage.Archive.QueryAsync(Alice, new ArchiveQuery()))!.Count.Should().Be(1);
    }

    [Theory]
    [InlineData(0, 50, 0, null)]
    [InlineData(250, 0, 0, "DefaultPageSize")]
    [InlineData(0, 50, -1, "RetentionDays")]
    [InlineData(10_001, 50, 0, "MaxPageSize")]
    public void Options_Validate_NamesTheBadKey(int maxPageSize, int defaultPageSize, int retentionDays, string? badKey)
    {
        var options = new MamOptions { MaxPageSize = maxPageSize == 0 ? 250 : maxPageSize, DefaultPageSize = defaultPageSize, RetentionDays = retentionDays };

        options.Validate().Select(p => p.Key).Should().Equal(badKey is null ? [] : [badKey]);
    }

    private MamModule CreateModule() => new(
        Storage.Archive,
        new MamArchiveWriter(Storage.Archive, NullLogger<MamArchiveWriter>.Instance),
        Storage.Rosters,
        Storage.Accounts,
        new SessionTable(),
        Options.Create(new MamOptions()),
        _clock,
        NullLoggerFactory.Instance);

    private static ArchivedMessage Archived(string id, DateTimeOffset stamp) =>
        new(id, "bob@example.org", null, stamp, ArchiveDirection.Incoming, "<message><body>x</body></message>");
}
