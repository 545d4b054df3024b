using Rookery.Modules.Muc;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Tests.Muc;

/// <summary>The history limits of XEP-0045 §7.2.15, combined.</summary>
public sealed class RoomHistoryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Select_MaxCharsCountsWholeStanzas_StopsBeforeTheOneThatDoesNotFit()
    {
        var history = Filled(4);
        var one = history.Entries.First().Chars;

        history.Select(null, one * 2, null).Select(Body).Should().Equal("m3", "m4");
        history.Select(null, one * 2 - 1, null).Select(Body).Should().Equal("m4");
        history.Select(null, 0, null).Should().BeEmpty();
    }

    [Fact]
    public void Select_LimitsCombine_TheStrictestWins()
    {
        var history = Filled(4);

        history.Select(3, null, T0.AddMinutes(3)).Select(Body).Should().Equal("m3", "m4");
        history.Select(1, null, T0).Select(Body).Should().Equal("m4");
        history.Select(0, null, null).Should().BeEmpty();
    }

    [Fact]
    public void Add_BeyondCapacity_DropsTheOldest()
    {
        var history = new RoomHistory(2);
        for (var i = 1; i <= 3; i++)
        {
            history.Add(Message(i), T0.AddMinutes(i));
        }

        history.Select(null, null, null).Select(Body).Should().Equal("m2", "m3");
    }

    private static RoomHistory Filled(int count)
    {
        var history = new RoomHistory(10);
        for (var i = 1; i <= count; i++)
        {
            history.Add(Message(i), T0.AddMinutes(i));
        }

        return history;
    }

    private static Element Message(int i)
    {
        var m = new Element("message", Ns.Client).SetAttribute("type", "groupchat").SetAttribute("from", "r@c.example/n");
        m.AddChild("body").AddText($"m{i}");
        return m;
    }

    private static string Body(RoomHistory.Entry e) => e.Message.ChildText("body", Ns.Client)!;
}
