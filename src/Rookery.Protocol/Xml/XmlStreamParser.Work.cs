namespace Rookery.Protocol.Xml;

/// <content>
/// The working arrays used while a tag or stanza is being parsed (attribute slots, open-element frames, qualified names,
/// namespace declarations, pending text). They are taken from a process-wide pool when a start tag is met and given back
/// as soon as no stanza is open, so that a connection between stanzas holds only its stream-level state: most client
/// connections are idle most of the time (issue #6: ≤ 8 KiB per idle connection).
/// </content>
public sealed partial class XmlStreamParser
{
    // "stream:stream", the stream header's name as nearly every client writes it, shared rather than kept per parser.
    private static readonly byte[] StreamStreamQName = "stream:stream"u8.ToArray();

    private Workspace? _work;

    /// <summary>True while the parser holds pooled working arrays, i.e. while a tag or stanza is open (for tests).</summary>
    internal bool HoldsWorkingArrays => _work is not null;

    /// <summary>The working arrays, taken from the pool on first use after the parser last held none.</summary>
    private Workspace Work => _work ?? AcquireWork();

    private Workspace AcquireWork() => _work = Workspace.Rent();

    /// <summary>Gives the working arrays back; called when no stanza is open, and at <see cref="Reset"/>.</summary>
    private void ReleaseWork()
    {
        var work = _work;
        if (work is null)
        {
            return;
        }

        _work = null;
        // A stanza cut short by Reset leaves frames and declarations behind: the pool must not keep their elements alive.
        Array.Clear(work.Frames, 0, Math.Min(_frameCount, work.Frames.Length));
        Array.Clear(work.NsPrefixes, 0, Math.Min(_nsCount, work.NsPrefixes.Length));
        Array.Clear(work.NsUris, 0, Math.Min(_nsCount, work.NsUris.Length));
        _frameCount = 0;
        _nsCount = 0;
        _qnamesLength = 0;
        Workspace.Return(work);
    }

    /// <summary>
    /// Keeps what the rest of the stream needs from its header: its qualified name (to match the closing tag) and its
    /// namespace declarations (in scope for every stanza), in arrays of their exact size, outside the pooled arrays.
    /// </summary>
    private void KeepStreamScope(ReadOnlySpan<byte> qname)
    {
        _streamQName = qname.SequenceEqual(StreamStreamQName) ? StreamStreamQName : qname.ToArray();
        _qnamesLength = 0;
        if (_nsCount == 0)
        {
            _streamNamespaces = [];
            return;
        }

        var work = Work;
        var bindings = new NamespaceBinding[_nsCount];
        for (var i = 0; i < bindings.Length; i++)
        {
            bindings[i] = new NamespaceBinding(work.NsPrefixes[i], work.NsUris[i]);
        }

        Array.Clear(work.NsPrefixes, 0, _nsCount);
        Array.Clear(work.NsUris, 0, _nsCount);
        _nsCount = 0;
        _streamNamespaces = bindings;
    }

    /// <summary>A namespace declaration of the stream header: <see cref="Prefix"/> (empty for the default namespace) to <see cref="Uri"/>.</summary>
    private readonly struct NamespaceBinding(NameEntry prefix, string uri)
    {
        public NameEntry Prefix { get; } = prefix;

        public string Uri { get; } = uri;
    }

    /// <summary>
    /// One set of working arrays. Pooled as a whole, so a stanza costs one take and one give-back rather than one per
    /// array; a set that grew for an unusual stanza (deep nesting, many attributes, long text) is dropped, not pooled.
    /// </summary>
    private sealed class Workspace
    {
        private const int Frames0 = 8;
        private const int QNames0 = 256;
        private const int Namespaces0 = 8;
        private const int Attributes0 = 8;

        // One spare per thread (a stanza is usually parsed from start to end on one thread), then a small shared array
        // of slots for sets given back on another thread than they were taken on.
        [ThreadStatic]
        private static Workspace? t_spare;

        private static readonly Workspace?[] Shared = new Workspace?[Math.Max(8, Environment.ProcessorCount * 4)];

        public Frame[] Frames = new Frame[Frames0];
        public byte[] QNames = new byte[QNames0];
        public NameEntry[] NsPrefixes = new NameEntry[Namespaces0];
        public string[] NsUris = new string[Namespaces0];
        public AttributeSlot[] Attributes = new AttributeSlot[Attributes0];
        public readonly CharBuffer Text = new();
        public readonly CharBuffer Scratch = new();

        public static Workspace Rent()
        {
            var work = t_spare;
            if (work is not null)
            {
                t_spare = null;
                return work;
            }

            var shared = Shared;
            for (var i = 0; i < shared.Length; i++)
            {
                if (Volatile.Read(ref shared[i]) is not null && Interlocked.Exchange(ref shared[i], null) is { } taken)
                {
                    return taken;
                }
            }

            return new Workspace();
        }

        public static void Return(Workspace work)
        {
            work.Text.Clear(); // gives a buffer grown for a long text back to the array pool
            work.Scratch.Clear();
            if (work.Frames.Length > 4 * Frames0 || work.QNames.Length > 4 * QNames0 || work.NsPrefixes.Length > 4 * Namespaces0
                || work.Attributes.Length > 4 * Attributes0)
            {
                work.Text.Release();
                work.Scratch.Release();
                return;
            }

            if (t_spare is null)
            {
                t_spare = work;
                return;
            }

            var shared = Shared;
            for (var i = 0; i < shared.Length; i++)
            {
                if (Volatile.Read(ref shared[i]) is null && Interlocked.CompareExchange(ref shared[i], work, null) is null)
                {
                    return;
                }
            }

            // The pool is full: let the set go (its text buffers go back to the array pool).
            work.Text.Release();
            work.Scratch.Release();
        }
    }
}
