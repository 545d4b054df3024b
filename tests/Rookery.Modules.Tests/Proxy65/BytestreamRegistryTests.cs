using System.IO.Pipelines;
using Rookery.Modules.Proxy65;

namespace Rookery.Modules.Tests.Proxy65;

public sealed class BytestreamRegistryTests
{
    private const string Hash = "98b8d688d0f5d895fd41c5e7309a2e9e33ba32ff";

    // Long enough for nothing here: only the tests of a reply still being flushed wait at all.
    private static readonly TimeSpan ShortWait = TimeSpan.FromMilliseconds(50);

    private readonly BytestreamRegistry _registry = new();

    [Fact]
    public void Join_TwoConnections_FirstIsTargetSecondIsInitiator_ThirdRefused()
    {
        using var first = Connection();
        using var second = Connection();
        using var third = Connection();

        var pair = _registry.Join(first);
        _registry.Join(second).Should().BeSameAs(pair);
        _registry.Join(third).Should().BeNull("a stream is two connections");

        pair!.Target.Should().BeSameAs(first);
        pair.Initiator.Should().BeSameAs(second);
        _registry.Count.Should().Be(1);
    }

    [Fact]
    public async Task Activate_UnknownHash_NotFound()
    {
        (await _registry.ActivateAsync(Hash, ShortWait)).Should().Be(ActivationOutcome.NotFound);
    }

    [Fact]
    public async Task Activate_OneConnection_OnlyOneConnected()
    {
        using var first = Connection();
        _registry.Join(first);
        _registry.MarkReady(first);

        (await _registry.ActivateAsync(Hash, ShortWait)).Should().Be(ActivationOutcome.OnlyOneConnected);
        first.Activation.IsCancellationRequested.Should().BeFalse();
    }

    [Fact]
    public async Task Activate_SecondNeverReady_OnlyOneConnected_NeitherActivated()
    {
        // The second connection's success reply is not flushed: the relay must not write to it before.
        using var first = Connection();
        using var second = Connection();
        _registry.Join(first);
        _registry.MarkReady(first);
        _registry.Join(second);

        (await _registry.ActivateAsync(Hash, ShortWait)).Should().Be(ActivationOutcome.OnlyOneConnected);
        first.Activation.IsCancellationRequested.Should().BeFalse();
        second.Activation.IsCancellationRequested.Should().BeFalse();
    }

    [Fact]
    public async Task Activate_SecondReplyStillFlushing_WaitsForIt_ThenActivated()
    {
        // The requester read its reply and activated before the proxy noted the reply as flushed.
        using var first = Connection();
        using var second = Connection();
        _registry.Join(first);
        _registry.MarkReady(first);
        _registry.Join(second);

        var activation = _registry.ActivateAsync(Hash, TimeSpan.FromSeconds(30)).AsTask();
        activation.IsCompleted.Should().BeFalse("the second connection is there, its reply on its way");
        _registry.MarkReady(second);

        (await activation).Should().Be(ActivationOutcome.Activated);
        second.Activation.IsCancellationRequested.Should().BeTrue();
    }

    [Fact]
    public async Task Activate_BothReady_ActivatesBothOnce_ThenAlreadyActive_NoLeaving()
    {
        using var first = Connection();
        using var second = Connection();
        Ready(first, second);

        (await _registry.ActivateAsync(Hash, ShortWait)).Should().Be(ActivationOutcome.Activated);
        (await _registry.ActivateAsync(Hash, ShortWait)).Should().Be(ActivationOutcome.AlreadyActive);

        first.Activation.IsCancellationRequested.Should().BeTrue();
        second.Activation.IsCancellationRequested.Should().BeTrue();
        _registry.TryLeave(first).Should().BeFalse("an active stream's connections relay");
    }

    [Fact]
    public void TryLeave_FirstBeforeActivation_SecondBecomesFirst_ANewSecondCanJoin()
    {
        using var first = Connection();
        using var second = Connection();
        using var later = Connection();
        var pair = _registry.Join(first)!;
        _registry.Join(second);

        _registry.TryLeave(first).Should().BeTrue();

        pair.Target.Should().BeSameAs(second);
        pair.Initiator.Should().BeNull();
        _registry.Join(later).Should().BeSameAs(pair);
    }

    [Fact]
    public async Task TryLeave_OnlyConnection_StreamForgotten()
    {
        using var first = Connection();
        _registry.Join(first);

        _registry.TryLeave(first).Should().BeTrue();

        _registry.Count.Should().Be(0);
        (await _registry.ActivateAsync(Hash, ShortWait)).Should().Be(ActivationOutcome.NotFound);
    }

    [Fact]
    public async Task Remove_AfterBothRelaysStopped_StreamForgotten()
    {
        using var first = Connection();
        using var second = Connection();
        var pair = Ready(first, second);
        await _registry.ActivateAsync(Hash, ShortWait);

        pair.Stop();
        pair.RelayStopped().Should().BeFalse();
        pair.RelayStopped().Should().BeTrue();
        _registry.Remove(pair);

        pair.Ended.IsCompletedSuccessfully.Should().BeTrue();
        _registry.Count.Should().Be(0);
    }

    private BytestreamPair Ready(ProxiedConnection first, ProxiedConnection second)
    {
        var pair = _registry.Join(first)!;
        _registry.Join(second);
        _registry.MarkReady(first);
        _registry.MarkReady(second);
        return pair;
    }

    private static ProxiedConnection Connection()
    {
        var pipe = new Pipe();
        return new ProxiedConnection(Hash, "c", new DuplexPipe(pipe.Reader, pipe.Writer));
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }
}
