namespace Rookery.Protocol.Xml;

/// <summary>
/// The bytes a parsed stanza arrived as, kept so that a stanza routed unchanged is written by copying them instead of
/// re-serialising its tree (issue #6). Shared by every element of the tree: any change to any of them, except to the
/// root's <c>from</c> (which is written from the tree), makes the bytes stale for good.
/// </summary>
/// <remarks>
/// The parser only keeps bytes that mean the same wherever they are written with the same default namespace: no
/// prefixed element names and no prefixed attributes other than <c>xml:</c>, so nothing depends on a declaration made
/// outside the stanza (Namespaces in XML 1.0 §6). The root's <c>from</c> attribute, if the sender gave one, is cut out;
/// the writer adds the tree's current value before the end of the start tag. A form made by serialising a tree the
/// server built (<see cref="Element.KeepSerialisedForm"/>, for fan-out) leaves out the root's <c>to</c> as well, and the
/// writer adds that from the tree too, so that every copy, stamped for its own recipient, is written from the same bytes.
/// </remarks>
internal sealed class WireForm
{
    /// <summary>Creates the shared form for the stanza whose root is <paramref name="root"/>; bytes come at its end.</summary>
    public WireForm(Element root) => Root = root;

    /// <summary>The element the bytes stand for.</summary>
    public Element Root { get; private set; }

    /// <summary>The stanza as received, or null until complete (and for good once stale).</summary>
    public byte[]? Bytes { get; private set; }

    /// <summary>Offset of the sender's <c>from</c> attribute name in <see cref="Bytes"/>, or -1 when it sent none.</summary>
    public int FromStart { get; private set; } = -1;

    /// <summary>Offset just past the closing quote of the sender's <c>from</c> attribute.</summary>
    public int FromEnd { get; private set; } = -1;

    /// <summary>Offset of the <c>&gt;</c> or <c>/&gt;</c> that ends the root's start tag.</summary>
    public int AttributesEnd { get; private set; }

    /// <summary>
    /// True when the root's <c>to</c> is not in the bytes but written from the tree (a serialised fan-out form), so that
    /// stamping a copy's <c>to</c> keeps the bytes usable.
    /// </summary>
    public bool AddressedFromTree { get; private set; }

    /// <summary>How many child nodes the root had as received; children appended later are written from the tree.</summary>
    public int ChildCount { get; private set; }

    /// <summary>Offset of the root's end tag in <see cref="Bytes"/>, or -1 when the root was an empty-element tag.</summary>
    public int CloseTagStart { get; private set; } = -1;

    /// <summary>True once any element of the tree changed: the bytes are never used again.</summary>
    public bool IsStale { get; private set; }

    /// <summary>Records where the root's start tag ends and where its <c>from</c> attribute lies.</summary>
    public void SetRootTag(int attributesEnd, int fromStart, int fromEnd)
    {
        AttributesEnd = attributesEnd;
        FromStart = fromStart;
        FromEnd = fromEnd;
    }

    /// <summary>Attaches the complete bytes of the stanza, the root's child count and where its end tag starts (-1: none).</summary>
    public void Complete(byte[] bytes, int childCount, int closeTagStart)
    {
        Bytes = IsStale ? null : bytes;
        ChildCount = childCount;
        CloseTagStart = closeTagStart;
    }

    /// <summary>
    /// Builds the form of a tree serialised by the server: <paramref name="bytes"/> hold the root without <c>from</c> and
    /// <c>to</c>, both written from the tree.
    /// </summary>
    public static WireForm Serialised(Element root, byte[] bytes, int attributesEnd, int childCount, int closeTagStart) => new(root)
    {
        Bytes = bytes,
        AttributesEnd = attributesEnd,
        ChildCount = childCount,
        CloseTagStart = closeTagStart,
        AddressedFromTree = true,
    };

    /// <summary>Marks the bytes stale: the tree no longer matches them.</summary>
    public void Invalidate()
    {
        IsStale = true;
        Bytes = null;
    }

    /// <summary>A form for a deep copy of the root: the same bytes, with its own staleness.</summary>
    public WireForm CopyFor(Element copy) => new(copy)
    {
        Bytes = Bytes,
        FromStart = FromStart,
        FromEnd = FromEnd,
        AttributesEnd = AttributesEnd,
        ChildCount = ChildCount,
        CloseTagStart = CloseTagStart,
        IsStale = IsStale,
        AddressedFromTree = AddressedFromTree,
    };
}
