using Rookery.Protocol.Xml;
using Rookery.Server.Streams;

namespace Rookery.Integration.Tests.Streams;

/// <summary>The stream's outgoing queue: order, wake-ups, completion, and no slots held while drained (issue #6).</summary>
public sealed class OutboundQueueTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static Outbound Item(int i) => new(OutboundKind.Element, new Element("m" + i, Ns.Client), counted: true);

    [Fact]
    public async Task WaitToReadAsync_Drained_HoldsNoSlotsAndWakesOnWrite()
    {
        var queue = new OutboundQueue();
        queue.TryWrite(Item(0)).Should().BeTrue();
        (await queue.WaitToReadAsync()).Should().BeTrue();
        queue.TryRead(out var first).Should().BeTrue();
        first.Element!.Name.Should().Be("m0");
        queue.TryRead(out _).Should().BeFalse();

        var wait = queue.WaitToReadAsync().AsTask();
        queue.HoldsSlots.Should().BeFalse("a drained queue whose reader waits gives its array back");
        wait.IsCompleted.Should().BeFalse();

        queue.TryWrite(Item(1)).Should().BeTrue();
        (await wait.WaitAsync(Patience)).Should().BeTrue();
        queue.TryRead(out var second).Should().BeTrue();
        second.Element!.Name.Should().Be("m1");
    }

    [Fact]
    public async Task TryComplete_WithItemsLeft_ReaderGetsThemThenTheEnd()
    {
        var queue = new OutboundQueue();
        queue.TryWrite(Item(0));
        queue.TryWrite(new Outbound(OutboundKind.Close));
        queue.TryComplete().Should().BeTrue();
        queue.TryComplete().Should().BeFalse();
        queue.TryWrite(Item(2)).Should().BeFalse("nothing is accepted after completion");

        (await queue.WaitToReadAsync()).Should().BeTrue();
        queue.TryRead(out var a).Should().BeTrue();
        queue.TryRead(out var b).Should().BeTrue();
        (a.Kind, b.Kind).Should().Be((OutboundKind.Element, OutboundKind.Close));
        queue.TryRead(out _).Should().BeFalse();
        (await queue.WaitToReadAsync()).Should().BeFalse();
    }

    [Fact]
    public async Task TryComplete_WhileReaderWaits_EndsTheWaitWithFalse()
    {
        var queue = new OutboundQueue();
        var wait = queue.WaitToReadAsync().AsTask();
        queue.TryComplete();
        (await wait.WaitAsync(Patience)).Should().BeFalse();
    }

    [Fact]
    public async Task TryWrite_ManyWritersAndOneReader_EveryItemOnceInEachWritersOrder()
    {
        // Four writers race with the reader through many drain-and-wait cycles and through growth of the ring.
        const int Writers = 4;
        const int PerWriter = 50_000;
        var queue = new OutboundQueue();
        var elements = new Element[Writers][];
        for (var w = 0; w < Writers; w++)
        {
            elements[w] = new Element[PerWriter];
            for (var i = 0; i < PerWriter; i++)
            {
                elements[w][i] = new Element("m", Ns.Client).SetAttribute("w", w.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        var reader = Task.Run(async () =>
        {
            var next = new int[Writers];
            var total = 0;
            while (await queue.WaitToReadAsync())
            {
                while (queue.TryRead(out var item))
                {
                    var w = int.Parse(item.Element!.GetAttribute("w")!, System.Globalization.CultureInfo.InvariantCulture);
                    item.Element.Should().BeSameAs(elements[w][next[w]], "each writer's items arrive in the order written");
                    next[w]++;
                    total++;
                }
            }

            return total;
        });

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                queue.TryWrite(new Outbound(OutboundKind.Element, elements[w][i], counted: true)).Should().BeTrue();
                if (i % 1000 == 0)
                {
                    await Task.Yield(); // let the reader drain and wait now and then
                }
            }
        })).ToArray();

        await Task.WhenAll(writers).WaitAsync(Patience);
        queue.TryComplete();
        (await reader.WaitAsync(Patience)).Should().Be(Writers * PerWriter);
        queue.HoldsSlots.Should().BeFalse();
    }
}
