using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Rookery.Server.Dns;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Federation;

/// <summary>
/// The s2s connector's stub resolver (RFC 1035 over UDP and TCP) against an in-test DNS responder on loopback: SRV and
/// address answers, RFC 2782 ordering, the "." target, NXDOMAIN, truncation, dead servers and TTL caching.
/// </summary>
public sealed class DnsResolverTests
{
    private static DnsResolver ResolverFor(TestDnsServer dns, TimeProvider? time = null) =>
        DnsResolver.Create([dns.Address], time ?? TimeProvider.System, NullLogger.Instance);

    [Fact]
    public async Task LookupSrv_Records_ParsedWithCompressedNames()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddSrv("_xmpp-server._tcp.b.test", 10, 5, 5270, "xmpp2.b.test");
        dns.AddSrv("_xmpp-server._tcp.b.test", 5, 0, 5269, "xmpp1.b.test");
        var resolver = ResolverFor(dns);

        var records = await resolver.LookupSrvAsync("xmpp-server", "b.test", CancellationToken.None);

        records.Should().BeEquivalentTo(
        [
            new SrvRecord(10, 5, 5270, "xmpp2.b.test"),
            new SrvRecord(5, 0, 5269, "xmpp1.b.test"),
        ]);
        DnsResolver.Order(records, new Random(1)).Select(r => r.Target).Should().Equal("xmpp1.b.test", "xmpp2.b.test");
    }

    [Fact]
    public async Task LookupAddresses_AAndAaaa_BothReturned()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddAddress("host.b.test", IPAddress.Parse("127.0.0.7"));
        dns.AddAddress("host.b.test", IPAddress.IPv6Loopback);
        var resolver = ResolverFor(dns);

        var addresses = await resolver.LookupAddressesAsync("host.b.test", CancellationToken.None);

        addresses.Should().BeEquivalentTo([IPAddress.Parse("127.0.0.7"), IPAddress.IPv6Loopback]);
        (await resolver.LookupAddressesAsync("127.0.0.9", CancellationToken.None)).Should().Equal(IPAddress.Parse("127.0.0.9"));
    }

    [Fact]
    public void Order_ByPriorityThenWeightedChoice()
    {
        SrvRecord heavy = new(10, 90, 1, "heavy.test"), light = new(10, 10, 2, "light.test"), backup = new(20, 100, 3, "backup.test"), first = new(1, 0, 4, "first.test");
        var random = new Random(12345);
        var heavyFirst = 0;
        const int Rounds = 2000;
        for (var i = 0; i < Rounds; i++)
        {
            var order = DnsResolver.Order([backup, light, heavy, first], random);
            order[0].Should().Be(first, "priority 1 comes before priority 10");
            order[3].Should().Be(backup, "priority 20 comes last");
            order.Skip(1).Take(2).Should().BeEquivalentTo([heavy, light]);
            heavyFirst += order[1] == heavy ? 1 : 0;
        }

        // RFC 2782: weight 90 of 100 is chosen first about 90% of the time (with the +1 of the random range, 90/101).
        heavyFirst.Should().BeInRange((int)(Rounds * 0.84), (int)(Rounds * 0.95));
    }

    [Fact]
    public async Task LookupSrv_DotTarget_ServiceUnavailable()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddSrv("_xmpp-server._tcp.none.test", 0, 0, 0, ".");
        var resolver = ResolverFor(dns);

        var records = await resolver.LookupSrvAsync("xmpp-server", "none.test", CancellationToken.None);

        records.Should().ContainSingle().Which.IsServiceUnavailable.Should().BeTrue();
    }

    [Fact]
    public async Task LookupSrv_NxDomain_EmptyAndNegativeAnswerCached()
    {
        await using var dns = TestDnsServer.Start();
        var resolver = ResolverFor(dns);

        var first = await resolver.LookupSrvAsync("xmpp-server", "missing.test", CancellationToken.None);
        var second = await resolver.LookupSrvAsync("xmpp-server", "missing.test", CancellationToken.None);

        first.Should().BeEmpty();
        second.Should().BeEmpty();
        dns.QuestionsFor("_xmpp-server._tcp.missing.test").Should().Be(1, "NXDOMAIN is cached for the SOA's minimum (RFC 2308)");
    }

    [Fact]
    public async Task LookupSrv_TruncatedUdpAnswer_AskedAgainOverTcp()
    {
        await using var dns = TestDnsServer.Start();
        dns.TruncateUdp = true;
        dns.AddSrv("_xmpp-server._tcp.big.test", 0, 0, 5269, "xmpp.big.test");
        var resolver = ResolverFor(dns);

        var records = await resolver.LookupSrvAsync("xmpp-server", "big.test", CancellationToken.None);

        records.Should().ContainSingle().Which.Target.Should().Be("xmpp.big.test");
        dns.TcpQuestions.Should().Be(1);
    }

    [Fact]
    public async Task LookupSrv_FirstServerDead_NextServerAnswers()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddSrv("_xmpp-server._tcp.b.test", 0, 0, 5269, "xmpp.b.test");
        // A UDP port nobody reads: the question goes unanswered (or is refused) and the next server is asked.
        using var dead = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        dead.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var resolver = new DnsResolver([(IPEndPoint)dead.LocalEndPoint!, dns.EndPoint], systemAddresses: false, TimeProvider.System, NullLogger.Instance, TimeSpan.FromMilliseconds(500), attempts: 1);

        var records = await resolver.LookupSrvAsync("xmpp-server", "b.test", CancellationToken.None);

        records.Should().ContainSingle().Which.Port.Should().Be(5269);
    }

    [Fact]
    public async Task Lookup_CachedForTtl_AskedAgainAfterIt()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddAddress("host.b.test", IPAddress.Parse("127.0.0.8"), ttl: 30);
        var time = new ManualTime();
        var resolver = ResolverFor(dns, time);

        await resolver.LookupAddressesAsync("host.b.test", CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(29));
        await resolver.LookupAddressesAsync("host.b.test", CancellationToken.None);
        var cachedQuestions = dns.QuestionsFor("host.b.test");
        time.Advance(TimeSpan.FromSeconds(2));
        await resolver.LookupAddressesAsync("host.b.test", CancellationToken.None);

        // One A and one AAAA question per lookup: the AAAA NODATA answer is cached too (SOA minimum 30 s).
        cachedQuestions.Should().Be(2, "within the TTL the cache answers");
        dns.QuestionsFor("host.b.test").Should().Be(4, "after the TTL both questions are asked again");
    }

    [Fact]
    public void TryParseServer_Forms()
    {
        DnsResolver.TryParseServer("127.0.0.1", out var plain).Should().BeTrue();
        plain.Port.Should().Be(53);
        DnsResolver.TryParseServer("127.0.0.1:5353", out var withPort).Should().BeTrue();
        withPort.Port.Should().Be(5353);
        DnsResolver.TryParseServer("[::1]:5353", out var v6).Should().BeTrue();
        v6.Address.Should().Be(IPAddress.IPv6Loopback);
        DnsResolver.TryParseServer("dns.example", out _).Should().BeFalse();
    }

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
