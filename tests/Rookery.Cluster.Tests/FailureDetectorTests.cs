using Rookery.Cluster.Membership;

namespace Rookery.Cluster.Tests;

/// <summary>The failure detector on a fake clock: a heartbeat that stops moving makes a peer suspect after the timeout.</summary>
public sealed class FailureDetectorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly ManualTimeProvider _clock = new();

    [Fact]
    public void IsSuspect_HeartbeatKeepsMoving_NeverSuspect()
    {
        var detector = new FailureDetector(_clock, Timeout);
        var beat = DateTimeOffset.UnixEpoch;
        for (var i = 0; i < 20; i++)
        {
            beat += TimeSpan.FromSeconds(1);
            detector.Observe(7, beat);
            _clock.Advance(TimeSpan.FromSeconds(1));
            detector.IsSuspect(7).Should().BeFalse("round {0} saw a fresh heartbeat", i);
        }
    }

    [Fact]
    public void IsDead_ThisNodeStoppedBetweenReadingAndJudging_PeerNotDeclaredDead()
    {
        var detector = new FailureDetector(_clock, Timeout);
        var beat = DateTimeOffset.UnixEpoch;
        detector.Observe(7, beat, _clock.GetTimestamp());
        _clock.Advance(TimeSpan.FromSeconds(1));
        var readAt = _clock.GetTimestamp(); // the next round reads the same value...
        _clock.Advance(TimeSpan.FromSeconds(8)); // ...and this node is stopped before it judges it

        detector.Observe(7, beat, readAt);
        detector.IsDead(7, lockFree: false, heartbeatAge: TimeSpan.FromSeconds(1), readAt).Should().BeFalse("as of the read, the heartbeat was 1 s old");
        detector.IsSuspect(7).Should().BeTrue("judged as of now, the same observation would count the stop against the peer");
    }

    [Fact]
    public void IsSuspect_HeartbeatStops_SuspectOnlyAfterTheTimeout()
    {
        var detector = new FailureDetector(_clock, Timeout);
        var beat = DateTimeOffset.UnixEpoch;
        detector.Observe(7, beat);

        _clock.Advance(Timeout);
        detector.Observe(7, beat);
        detector.IsSuspect(7).Should().BeFalse("exactly the timeout is not yet too old");

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        detector.Observe(7, beat);
        detector.IsSuspect(7).Should().BeTrue();

        detector.Observe(7, beat + TimeSpan.FromSeconds(1));
        detector.IsSuspect(7).Should().BeFalse("a new heartbeat clears the suspicion");
    }

    [Fact]
    public void IsSuspect_MeasuresOnTheLocalClock_NotTheHeartbeatValue()
    {
        // A peer whose clock (or the database's) is an hour behind is not dead as long as its heartbeat moves.
        var detector = new FailureDetector(_clock, Timeout);
        detector.Observe(3, _clock.GetUtcNow() - TimeSpan.FromHours(1));

        detector.IsSuspect(3).Should().BeFalse();
        _clock.Advance(TimeSpan.FromSeconds(6));
        detector.IsSuspect(3).Should().BeTrue();
    }

    [Fact]
    public void Forget_UnknownPeers_AreNotSuspect()
    {
        var detector = new FailureDetector(_clock, Timeout);
        detector.Observe(1, DateTimeOffset.UnixEpoch);
        _clock.Advance(TimeSpan.FromMinutes(1));

        detector.Forget(1);

        detector.IsSuspect(1).Should().BeFalse();
        detector.IsSuspect(2).Should().BeFalse();
        detector.Watched.Should().BeEmpty();
    }

    [Fact]
    public void IsDead_LockFreeButHeartbeatYoungerThanTheTimeout_NotDead()
    {
        // A starved node's lock connection may break and its lock be taken again a moment later: not a death while the
        // node still heartbeats (issue #4).
        var detector = new FailureDetector(_clock, Timeout);
        detector.Observe(7, DateTimeOffset.UnixEpoch);

        detector.IsDead(7, lockFree: true, heartbeatAge: TimeSpan.Zero).Should().BeFalse();
        detector.IsDead(7, lockFree: true, heartbeatAge: Timeout).Should().BeFalse("exactly the timeout is not yet too old");
        detector.IsDead(7, lockFree: true, heartbeatAge: Timeout + TimeSpan.FromMilliseconds(1)).Should().BeTrue();
        detector.IsDead(7, lockFree: false, heartbeatAge: TimeSpan.FromHours(1)).Should().BeFalse(
            "with the lock held, only the local clock decides (the database clock may be skewed)");
    }

    [Fact]
    public void IsDead_HeartbeatStopsWithTheLockHeld_DeadAfterTheTimeout()
    {
        var detector = new FailureDetector(_clock, Timeout);
        detector.Observe(7, DateTimeOffset.UnixEpoch);
        _clock.Advance(Timeout);
        detector.IsDead(7, lockFree: false, heartbeatAge: Timeout).Should().BeFalse();

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        detector.IsDead(7, lockFree: false, heartbeatAge: Timeout).Should().BeTrue();
    }

    [Theory]
    [InlineData(3000, 3)]
    [InlineData(5000, 5)]
    [InlineData(2500, 3)]
    [InlineData(400, 1)]
    public void ListenKeepAliveSeconds_NeverShorterThanTheFailureTimeout(int failureTimeoutMs, int expected)
    {
        // Npgsql breaks a connection whose keepalive is not answered within the keepalive interval. That connection held
        // the lock before the heartbeat thread did, and broke at the 1 s heartbeat interval; it still should not go
        // sooner than the failure timeout.
        var options = new ClusterOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(100), FailureTimeout = TimeSpan.FromMilliseconds(failureTimeoutMs) };

        ClusterMembership.ListenKeepAliveSeconds(options).Should().Be(expected);
    }
}
