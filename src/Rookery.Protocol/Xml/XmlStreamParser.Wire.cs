using System.Buffers;

namespace Rookery.Protocol.Xml;

/// <content>Keeping each stanza's received bytes (<see cref="WireForm"/>) so that an unchanged stanza is forwarded as is.</content>
public sealed partial class XmlStreamParser
{
    private byte[]? _wireBuffer; // rented while a stanza is being read, returned at its end: idle streams hold none
    private int _wireLength;
    private WireForm? _wire;
    private bool _wireBroken;

    /// <summary>
    /// When true, each top-level element keeps the bytes it arrived as, so that <see cref="ElementWriter"/> copies them
    /// when it writes the element unchanged (except for its <c>from</c>) into a stream of the same default namespace.
    /// Survives <see cref="Reset"/>.
    /// </summary>
    public bool KeepWireForms { get; set; }

    /// <summary>Appends the bytes of a token of the current stanza; <paramref name="starts"/> for its root start tag.</summary>
    private void CaptureWire(ReadOnlySpan<byte> token, bool starts)
    {
        if (starts)
        {
            _wireLength = 0;
            _wireBroken = false;
        }

        AppendWire(token);
    }

    private void AppendWire(ReadOnlySpan<byte> bytes)
    {
        if (_wireBuffer is null || _wireBuffer.Length - _wireLength < bytes.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(512, (_wireLength + bytes.Length) * 2));
            if (_wireBuffer is not null)
            {
                _wireBuffer.AsSpan(0, _wireLength).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_wireBuffer);
            }

            _wireBuffer = bigger;
        }

        bytes.CopyTo(_wireBuffer.AsSpan(_wireLength));
        _wireLength += bytes.Length;
    }

    /// <summary>Ties a new element to the stanza's wire form; at the root, records where its start tag ends and its <c>from</c>.</summary>
    private void StartWireElement(Element element, ReadOnlySpan<byte> t, int colon, int attributeCount, bool selfClosing)
    {
        if (colon >= 0)
        {
            _wireBroken = true; // a prefixed name depends on a declaration that may lie outside the stanza
        }

        if (_frameCount == 0)
        {
            _wire = new WireForm(element);
            var fromStart = -1;
            var fromEnd = -1;
            var attributes = Work.Attributes;
            for (var i = 0; i < attributeCount; i++)
            {
                ref var a = ref attributes[i];
                if (a.Kind == AttributeKind.Plain && a.Colon < 0 && t[a.NameStart..a.NameEnd].SequenceEqual("from"u8))
                {
                    fromStart = a.NameStart;
                    fromEnd = a.ValueStart + a.ValueLength + 1;
                    break;
                }
            }

            _wire.SetRootTag(t.Length - (selfClosing ? 2 : 1), fromStart, fromEnd);
        }

        if (_wire is not null)
        {
            element.AttachWire(_wire);
        }
    }

    /// <summary>
    /// Completes the current stanza's wire form (or drops it when the bytes cannot stand alone) and returns the buffer;
    /// <paramref name="endTagLength"/> is the length of the root's end tag, 0 for an empty-element root.
    /// </summary>
    private void EndWireForm(int endTagLength)
    {
        if (_wire is not null)
        {
            if (_wireBroken || _wireBuffer is null)
            {
                _wire.Invalidate();
            }
            else
            {
                _wire.Complete(_wireBuffer.AsSpan(0, _wireLength).ToArray(), _wire.Root.Nodes.Count, endTagLength == 0 ? -1 : _wireLength - endTagLength);
            }

            _wire = null;
        }

        ReleaseWire();
    }

    private void ReleaseWire()
    {
        _wire = null;
        _wireLength = 0;
        if (_wireBuffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_wireBuffer);
            _wireBuffer = null;
        }
    }
}
