using Rookery.Protocol.Xml;

namespace Rookery.Server.Streams;

/// <summary>What the writer loop of a stream does next.</summary>
internal enum OutboundKind
{
    /// <summary>Serialise an element.</summary>
    Element,
    /// <summary>Write the stream header for a (re)started stream.</summary>
    Header,
    /// <summary>Flush, signal, and wait: the reader swaps the transport (STARTTLS) while the writer is parked.</summary>
    Barrier,
    /// <summary>Write the closing tag, flush, and stop.</summary>
    Close,
}

/// <summary>One item in a stream's outgoing queue.</summary>
internal readonly struct Outbound(OutboundKind kind, Element? element = null, WriterBarrier? barrier = null, bool counted = false)
{
    public OutboundKind Kind { get; } = kind;
    public Element? Element { get; } = element;
    public WriterBarrier? Barrier { get; } = barrier;

    /// <summary>True for stanzas queued by Send, which count against the outgoing queue limit.</summary>
    public bool Counted { get; } = counted;
}

/// <summary>A rendezvous between the reader and the parked writer.</summary>
internal sealed class WriterBarrier
{
    public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource Resume { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
