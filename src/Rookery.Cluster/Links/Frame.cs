namespace Rookery.Cluster.Links;

/// <summary>One frame on a node link: <c>u32 length | u8 type | payload</c> on the wire (length counts type and payload).</summary>
internal readonly record struct Frame(FrameType Type, ReadOnlyMemory<byte> Payload)
{
    /// <summary>A frame without payload.</summary>
    public static Frame Empty(FrameType type) => new(type, ReadOnlyMemory<byte>.Empty);
}
