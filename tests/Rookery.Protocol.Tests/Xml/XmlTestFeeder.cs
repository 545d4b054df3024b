using System.Buffers;
using System.Text;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Protocol.Tests.Xml;

/// <summary>Drives an <see cref="XmlStreamParser"/> the way a read loop does, with the input split in various ways.</summary>
internal static class XmlTestFeeder
{
    /// <summary>Parses the whole input as one contiguous buffer.</summary>
    public static List<XmlStreamEvent> Whole(XmlStreamParser parser, byte[] input, List<XmlStreamEvent>? events = null)
    {
        events ??= [];
        var buffer = new ReadOnlySequence<byte>(input);
        Drain(parser, ref buffer, events);
        return events;
    }

    /// <summary>
    /// Delivers the input in arrivals of the given sizes; like a pipe, bytes left unconsumed stay at the front and the next
    /// arrival is appended as a further segment, so tokens regularly span segments.
    /// </summary>
    public static List<XmlStreamEvent> InArrivals(XmlStreamParser parser, byte[] input, IEnumerable<int> arrivalSizes, List<XmlStreamEvent>? events = null, bool trailingDataAllowed = false)
    {
        events ??= [];
        var pending = new List<byte[]>();
        var offset = 0;
        using var sizes = arrivalSizes.GetEnumerator();
        while (offset < input.Length)
        {
            var size = sizes.MoveNext() ? Math.Max(1, sizes.Current) : 1;
            size = Math.Min(size, input.Length - offset);
            pending.Add(input.AsSpan(offset, size).ToArray());
            offset += size;

            var buffer = Build(pending);
            var before = buffer.Length;
            Drain(parser, ref buffer, events);
            var consumed = before - buffer.Length;
            DropFront(pending, consumed);
        }

        if (!trailingDataAllowed)
        {
            pending.Sum(p => p.Length).Should().Be(0, "a complete stream leaves nothing unconsumed");
        }

        return events;
    }

    /// <summary>Byte by byte.</summary>
    public static List<XmlStreamEvent> ByteByByte(XmlStreamParser parser, byte[] input, List<XmlStreamEvent>? events = null) =>
        InArrivals(parser, input, Enumerable.Repeat(1, input.Length), events);

    /// <summary>The whole input at once, as one sequence of many segments of random sizes (empty ones included).</summary>
    public static List<XmlStreamEvent> RandomSegments(XmlStreamParser parser, byte[] input, int seed, List<XmlStreamEvent>? events = null, bool trailingDataAllowed = false)
    {
        var random = new Random(seed);
        var segments = new List<byte[]>();
        var offset = 0;
        while (offset < input.Length)
        {
            var size = random.Next(0, 12);
            size = Math.Min(size, input.Length - offset);
            segments.Add(input.AsSpan(offset, size).ToArray());
            offset += size;
        }

        events ??= [];
        var buffer = Build(segments);
        Drain(parser, ref buffer, events);
        if (!trailingDataAllowed)
        {
            buffer.Length.Should().Be(0);
        }

        return events;
    }

    /// <summary>Runs the parser to the first exception, returning events so far and the stream error (or null).</summary>
    public static (List<string> Events, StreamErrorCondition? Error) Outcome(Action<List<XmlStreamEvent>> run)
    {
        var events = new List<XmlStreamEvent>();
        try
        {
            run(events);
            return (events.ConvertAll(Dump), null);
        }
        catch (StreamErrorException e)
        {
            return (events.ConvertAll(Dump), e.Condition);
        }
    }

    public static ReadOnlySequence<byte> Build(IReadOnlyList<byte[]> segments)
    {
        if (segments.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(segments[0], 0);
        var last = first;
        for (var i = 1; i < segments.Count; i++)
        {
            last = last.Append(segments[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private static void Drain(XmlStreamParser parser, ref ReadOnlySequence<byte> buffer, List<XmlStreamEvent> events)
    {
        while (parser.TryRead(ref buffer, out var ev))
        {
            events.Add(ev);
        }
    }

    private static void DropFront(List<byte[]> pending, long count)
    {
        while (count > 0)
        {
            var first = pending[0];
            if (first.Length <= count)
            {
                count -= first.Length;
                pending.RemoveAt(0);
            }
            else
            {
                pending[0] = first.AsSpan((int)count).ToArray();
                count = 0;
            }
        }

        pending.RemoveAll(p => p.Length == 0);
    }

    /// <summary>A canonical, namespace-explicit rendering of an event for comparisons.</summary>
    public static string Dump(XmlStreamEvent ev) => ev.Kind switch
    {
        XmlStreamEventKind.StreamClose => "close",
        XmlStreamEventKind.StreamOpen => "open " + Dump(ev.Element!),
        _ => Dump(ev.Element!),
    };

    public static string Dump(Element e)
    {
        var sb = new StringBuilder();
        Dump(e, sb);
        return sb.ToString();
    }

    private static void Dump(Element e, StringBuilder sb)
    {
        sb.Append('{').Append(e.Namespace).Append('}').Append(e.Name).Append('[');
        foreach (var a in e.Attributes)
        {
            sb.Append(a.Key).Append('=').Append('"').Append(a.Value).Append('"').Append(';');
        }

        sb.Append("](");
        foreach (var n in e.Nodes)
        {
            if (n is Element child)
            {
                Dump(child, sb);
            }
            else
            {
                sb.Append("text:\"").Append((string)n).Append('"');
            }

            sb.Append(',');
        }

        sb.Append(')');
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
