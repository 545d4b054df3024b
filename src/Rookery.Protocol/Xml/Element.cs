using System.Diagnostics.CodeAnalysis;

namespace Rookery.Protocol.Xml;

/// <summary>
/// A namespace-resolved XML element: the in-memory form of one stanza or stream-level element.
/// Built once per stanza by <see cref="XmlStreamParser"/> and written by <see cref="ElementWriter"/>.
/// </summary>
/// <remarks>
/// Attribute names are stored as they appeared, without namespace resolution, because XMPP only ever uses
/// unprefixed attributes plus <c>xml:lang</c>. Element names are resolved: <see cref="Name"/> is the local name and
/// <see cref="Namespace"/> the URI that applies to it, whatever prefix the sender chose.
/// </remarks>
public sealed class Element
{
    private List<KeyValuePair<string, string>>? _attributes;
    private List<object>? _children; // Element or string (text node)
    private WireForm? _wire; // the received bytes of the parsed stanza this element belongs to, if kept

    /// <summary>Creates an element in the given namespace.</summary>
    public Element(string name, string ns)
    {
        Name = name;
        Namespace = ns;
    }

    /// <summary>The local name (for example <c>message</c>).</summary>
    public string Name { get; }

    /// <summary>The namespace URI the element belongs to.</summary>
    public string Namespace { get; }

    /// <summary>Attributes in document order, without the default <c>xmlns</c> (that is <see cref="Namespace"/>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Attributes => (IReadOnlyList<KeyValuePair<string, string>>?)_attributes ?? [];

    /// <summary>Child nodes in document order: each is an <see cref="Element"/> or a <see cref="string"/> text node.</summary>
    public IReadOnlyList<object> Nodes => (IReadOnlyList<object>?)_children ?? [];

    /// <summary>True when the element has at least one child node.</summary>
    public bool HasNodes => _children is { Count: > 0 };

    /// <summary>Returns the value of an attribute, or null when absent.</summary>
    public string? GetAttribute(string name)
    {
        if (_attributes is null)
        {
            return null;
        }

        foreach (var a in _attributes)
        {
            if (a.Key == name)
            {
                return a.Value;
            }
        }

        return null;
    }

    /// <summary>Sets, replaces, or (with a null value) removes an attribute; returns this element for chaining.</summary>
    public Element SetAttribute(string name, string? value)
    {
        // The root's 'from' is written from the tree even on the fast path (the router stamps it), so it keeps the bytes;
        // so is the root's 'to' of a serialised fan-out form (KeepSerialisedForm), stamped per recipient.
        if (_wire is { } wire && !(ReferenceEquals(wire.Root, this) && (name == "from" || (name == "to" && wire.AddressedFromTree))))
        {
            wire.Invalidate();
        }

        _attributes ??= new List<KeyValuePair<string, string>>(4);
        for (var i = 0; i < _attributes.Count; i++)
        {
            if (_attributes[i].Key == name)
            {
                if (value is null)
                {
                    _attributes.RemoveAt(i);
                }
                else
                {
                    _attributes[i] = new(name, value);
                }

                return this;
            }
        }

        if (value is not null)
        {
            _attributes.Add(new(name, value));
        }

        return this;
    }

    /// <summary>Appends an attribute without checking for duplicates; the parser has already rejected them.</summary>
    internal void AddAttributeUnchecked(string name, string value)
    {
        _attributes ??= new List<KeyValuePair<string, string>>(4);
        _attributes.Add(new(name, value));
    }

    /// <summary>Appends a child element and returns it.</summary>
    public Element Add(Element child)
    {
        ArgumentNullException.ThrowIfNull(child);
        // A child appended to a received stanza's root (XEP-0359 stanza-id, delay stamps) is written after the received
        // children, so the bytes stay usable; anywhere else in the tree the bytes no longer match.
        if (_wire is { } wire && !(ReferenceEquals(wire.Root, this) && wire.CloseTagStart >= 0))
        {
            wire.Invalidate();
        }

        (_children ??= new List<object>(2)).Add(child);
        return child;
    }

    /// <summary>Appends a text node; empty text is ignored. Returns this element for chaining.</summary>
    public Element AddText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            return this;
        }

        _wire?.Invalidate();
        AppendText(text);
        return this;
    }

    /// <summary>Appends a child element built by the parser: part of the received stanza, so its bytes stay valid.</summary>
    internal void AppendParsed(Element child) => (_children ??= new List<object>(2)).Add(child);

    /// <summary>Appends a text node decoded by the parser (non-empty): part of the received stanza.</summary>
    internal void AppendParsedText(string text) => AppendText(text);

    private void AppendText(string text)
    {
        _children ??= new List<object>(1);
        // Merge adjacent text so that Text stays cheap and escaping splits do not leak into the model.
        if (_children.Count > 0 && _children[^1] is string last)
        {
            _children[^1] = string.Concat(last, text);
        }
        else
        {
            _children.Add(text);
        }
    }

    /// <summary>Creates a child element in the given namespace (default: this element's), appends it and returns it.</summary>
    public Element AddChild(string name, string? ns = null) => Add(new Element(name, ns ?? Namespace));

    /// <summary>Removes a child node (element or text) by reference; returns whether it was present.</summary>
    public bool Remove(Element child)
    {
        if (_children?.Remove(child) != true)
        {
            return false;
        }

        _wire?.Invalidate();
        return true;
    }

    /// <summary>Removes every child element with this name and namespace.</summary>
    public void RemoveAll(string name, string ns)
    {
        if (_children?.RemoveAll(n => n is Element e && e.Name == name && e.Namespace == ns) > 0)
        {
            _wire?.Invalidate();
        }
    }

    /// <summary>Removes all child nodes.</summary>
    public void ClearNodes()
    {
        _wire?.Invalidate();
        _children?.Clear();
    }

    /// <summary>The concatenated text of the direct text children ("" when none).</summary>
    public string Text
    {
        get
        {
            if (_children is null)
            {
                return string.Empty;
            }

            string? single = null;
            System.Text.StringBuilder? sb = null;
            foreach (var n in _children)
            {
                if (n is string s)
                {
                    if (single is null)
                    {
                        single = s;
                    }
                    else
                    {
                        sb ??= new System.Text.StringBuilder(single);
                        sb.Append(s);
                    }
                }
            }

            return sb?.ToString() ?? single ?? string.Empty;
        }
    }

    /// <summary>Replaces all children with one text node.</summary>
    public Element SetText(string text)
    {
        _wire?.Invalidate();
        _children?.Clear();
        return AddText(text);
    }

    /// <summary>Enumerates the child elements (text nodes skipped).</summary>
    public IEnumerable<Element> Elements()
    {
        if (_children is null)
        {
            yield break;
        }

        foreach (var n in _children)
        {
            if (n is Element e)
            {
                yield return e;
            }
        }
    }

    /// <summary>Returns the first child element with the given name and namespace, or null.</summary>
    public Element? Child(string name, string ns)
    {
        if (_children is null)
        {
            return null;
        }

        foreach (var n in _children)
        {
            if (n is Element e && e.Name == name && e.Namespace == ns)
            {
                return e;
            }
        }

        return null;
    }

    /// <summary>Returns the first child element in the given namespace, whatever its name, or null.</summary>
    public Element? ChildInNamespace(string ns)
    {
        if (_children is null)
        {
            return null;
        }

        foreach (var n in _children)
        {
            if (n is Element e && e.Namespace == ns)
            {
                return e;
            }
        }

        return null;
    }

    /// <summary>Returns the first child element, or null.</summary>
    public Element? FirstElement()
    {
        if (_children is null)
        {
            return null;
        }

        foreach (var n in _children)
        {
            if (n is Element e)
            {
                return e;
            }
        }

        return null;
    }

    /// <summary>Tries to get the first child element with the given name and namespace.</summary>
    public bool TryGetChild(string name, string ns, [NotNullWhen(true)] out Element? child)
    {
        child = Child(name, ns);
        return child is not null;
    }

    /// <summary>The text of the first matching child element, or null when there is none.</summary>
    public string? ChildText(string name, string ns) => Child(name, ns)?.Text;

    /// <summary>A deep copy: stanzas are mutated when stamped (from, to), so fan-out works on copies.</summary>
    public Element Clone()
    {
        // The copy of a stanza root keeps its received bytes (they are immutable), with a staleness of its own.
        var wire = _wire is { IsStale: false } w && ReferenceEquals(w.Root, this) ? w : null;
        return CloneInto(wire is null ? null : new Element(Name, Namespace).WithWireCopy(wire));
    }

    private Element WithWireCopy(WireForm wire)
    {
        _wire = wire.CopyFor(this);
        return this;
    }

    private Element CloneInto(Element? target)
    {
        var copy = target ?? new Element(Name, Namespace);
        if (_attributes is not null)
        {
            copy._attributes = new List<KeyValuePair<string, string>>(_attributes);
        }

        if (_children is not null)
        {
            copy._children = new List<object>(_children.Count);
            foreach (var n in _children)
            {
                copy._children.Add(n is Element e ? e.CloneUnder(copy._wire) : n);
            }
        }

        return copy;
    }

    private Element CloneUnder(WireForm? wire)
    {
        var copy = new Element(Name, Namespace) { _wire = wire };
        return CloneInto(copy);
    }

    /// <summary>Ties this element to the received bytes of the stanza it is part of (parser only).</summary>
    internal void AttachWire(WireForm wire) => _wire = wire;

    /// <summary>
    /// The received bytes when this element is the root of a parsed stanza that nothing has changed since (except its
    /// <c>from</c>), else null.
    /// </summary>
    internal WireForm? UnchangedWireForm => _wire is { Bytes: not null } w && ReferenceEquals(w.Root, this) ? w : null;

    /// <summary>
    /// Serialises this element (a tree the server built, about to be sent to many recipients) once, without its
    /// <c>from</c> and <c>to</c>, and keeps the bytes: copies made with <see cref="Clone"/> and stamped with their own
    /// <c>from</c> and <c>to</c> are then written by copying them instead of serialising each copy's tree (issue #6, MUC
    /// fan-out). Any other change to the element, its copies or their descendants makes that copy's bytes stale, as
    /// for a received stanza. Only for a tree that belongs to no other kept form (not a part of a received stanza).
    /// </summary>
    public void KeepSerialisedForm()
    {
        if (_wire is not null && !ReferenceEquals(_wire.Root, this))
        {
            throw new InvalidOperationException("Only the root of a tree keeps a serialised form");
        }

        if (Namespace == Ns.Streams)
        {
            throw new InvalidOperationException("Stream-level elements are not fanned out");
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        var (attributesEnd, closeTagStart) = ElementWriter.WriteUnaddressed(this, buffer);
        Attach(WireForm.Serialised(this, buffer.WrittenSpan.ToArray(), attributesEnd, _children?.Count ?? 0, closeTagStart));
    }

    /// <summary>Ties this element and its descendants to <paramref name="wire"/>.</summary>
    private void Attach(WireForm wire)
    {
        _wire = wire;
        if (_children is null)
        {
            return;
        }

        foreach (var n in _children)
        {
            if (n is Element e)
            {
                e.Attach(wire);
            }
        }
    }

    /// <summary>A shallow copy: name, namespace and attributes, no children.</summary>
    public Element CloneWithoutChildren()
    {
        var copy = new Element(Name, Namespace);
        if (_attributes is not null)
        {
            copy._attributes = new List<KeyValuePair<string, string>>(_attributes);
        }

        return copy;
    }

    /// <summary>Serialises the element as XML text (for logs and tests; the connection writes bytes directly).</summary>
    public override string ToString() => ElementWriter.ToXmlString(this);
}
