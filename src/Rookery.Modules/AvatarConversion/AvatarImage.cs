using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using Rookery.Modules.VCard;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.AvatarConversion;

/// <summary>
/// One avatar image with what both avatar protocols say about it: its bytes, media type, SHA-1 hash (the XEP-0084 item
/// id and the XEP-0153 presence hash) and, when its header tells, its size in pixels. Converts between the vCard
/// <c>PHOTO</c> (XEP-0054, XEP-0153) and the XEP-0084 data and metadata payloads.
/// </summary>
internal sealed class AvatarImage
{
    /// <summary>The XEP-0084 data node and payload namespace.</summary>
    public const string DataNamespace = "urn:xmpp:avatar:data";

    /// <summary>The XEP-0084 metadata node and payload namespace.</summary>
    public const string MetadataNamespace = "urn:xmpp:avatar:metadata";

    [SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "XEP-0084 §4.2.1 and XEP-0153 §3.2 define the avatar id as its SHA-1.")]
    private AvatarImage(byte[] bytes, string type)
    {
        Bytes = bytes;
        Type = type;
        Hash = Convert.ToHexStringLower(SHA1.HashData(bytes));
        (Width, Height) = ReadSize(bytes);
    }

    /// <summary>The image.</summary>
    public byte[] Bytes { get; }

    /// <summary>The media type (XEP-0084 §4.2.1 <c>type</c>, vCard <c>TYPE</c>).</summary>
    public string Type { get; }

    /// <summary>The SHA-1 hash of the bytes in lower-case hex (XEP-0084 §4.2.1 <c>id</c>, XEP-0153 §3.2 <c>photo</c>).</summary>
    public string Hash { get; }

    /// <summary>The width in pixels when the PNG, GIF or JPEG header says it, else null.</summary>
    public int? Width { get; }

    /// <summary>The height in pixels when the PNG, GIF or JPEG header says it, else null.</summary>
    public int? Height { get; }

    /// <summary>
    /// The avatar of a vCard's <c>PHOTO</c>: its <c>BINVAL</c> decoded (line breaks and spaces allowed, as vCards wrap
    /// base64) with its <c>TYPE</c>, or the type the bytes show when there is none. Null when the vCard has no PHOTO with
    /// a binary value, or it is not base64 (an <c>EXTVAL</c> URL is not an image this server has).
    /// </summary>
    public static AvatarImage? FromPhoto(Element? vcard)
    {
        var photo = vcard?.Child("PHOTO", VCardModule.Namespace);
        var binval = photo?.ChildText("BINVAL", VCardModule.Namespace);
        if (photo is null || string.IsNullOrWhiteSpace(binval) || Decode(binval) is not { } bytes)
        {
            return null;
        }

        var type = photo.ChildText("TYPE", VCardModule.Namespace)?.Trim();
        return new AvatarImage(bytes, string.IsNullOrEmpty(type) ? SniffType(bytes) : type);
    }

    /// <summary>
    /// The avatar of an XEP-0084 data payload (<c>&lt;data&gt;</c> holding base64) described by a metadata
    /// <c>&lt;info/&gt;</c>; null when the payload is not base64 or its SHA-1 is not the info's id (XEP-0398 §3.1: the
    /// service SHOULD verify it).
    /// </summary>
    public static AvatarImage? FromData(Element data, Element info)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(info);
        if (data.Name != "data" || data.Namespace != DataNamespace || Decode(data.Text) is not { } bytes)
        {
            return null;
        }

        var type = info.GetAttribute("type");
        var image = new AvatarImage(bytes, string.IsNullOrEmpty(type) ? SniffType(bytes) : type);
        return string.Equals(image.Hash, info.GetAttribute("id"), StringComparison.OrdinalIgnoreCase) ? image : null;
    }

    /// <summary>
    /// The <c>&lt;info/&gt;</c> of a metadata payload that describes an image published in the data node, that is the
    /// first without a <c>url</c> (XEP-0398 §3.1: the one that does not point to an external URL); null when there is none.
    /// </summary>
    public static Element? StoredInfo(Element metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        foreach (var info in metadata.Elements())
        {
            if (info.Name == "info" && info.Namespace == MetadataNamespace && info.GetAttribute("url") is null &&
                !string.IsNullOrEmpty(info.GetAttribute("id")))
            {
                return info;
            }
        }

        return null;
    }

    /// <summary>The vCard <c>PHOTO</c> element: <c>TYPE</c> and the base64 <c>BINVAL</c> (XEP-0153 §3.1).</summary>
    public Element ToPhoto()
    {
        var photo = new Element("PHOTO", VCardModule.Namespace);
        photo.AddChild("TYPE").SetText(Type);
        photo.AddChild("BINVAL").SetText(Convert.ToBase64String(Bytes));
        return photo;
    }

    /// <summary>The XEP-0084 §4.1 data payload.</summary>
    public Element ToData() => new Element("data", DataNamespace).SetText(Convert.ToBase64String(Bytes));

    /// <summary>The XEP-0084 §4.2 metadata payload with one info: bytes, id, type, and width and height when known.</summary>
    public Element ToMetadata()
    {
        var metadata = new Element("metadata", MetadataNamespace);
        var info = metadata.AddChild("info")
            .SetAttribute("bytes", Bytes.Length.ToString(CultureInfo.InvariantCulture))
            .SetAttribute("id", Hash)
            .SetAttribute("type", Type);
        if (Width is { } width && Height is { } height)
        {
            info.SetAttribute("width", width.ToString(CultureInfo.InvariantCulture));
            info.SetAttribute("height", height.ToString(CultureInfo.InvariantCulture));
        }

        return metadata;
    }

    /// <summary>The SHA-1 hash of a vCard's photo (XEP-0153 §3.2), or null when it has none that decodes.</summary>
    public static string? HashOfPhoto(Element? vcard) => FromPhoto(vcard)?.Hash;

    private static byte[]? Decode(string text)
    {
        try
        {
            // Convert skips the white space a wrapped base64 value holds; anything else that is not base64 fails.
            var bytes = Convert.FromBase64String(text);
            return bytes.Length > 0 ? bytes : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The media type the first bytes show, for a vCard PHOTO without TYPE (XEP-0084 requires one).</summary>
    private static string SniffType(ReadOnlySpan<byte> bytes) => bytes switch
    {
        [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => "image/png",
        [(byte)'G', (byte)'I', (byte)'F', (byte)'8', ..] => "image/gif",
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => "image/webp",
        _ => "application/octet-stream",
    };

    /// <summary>Width and height from a PNG IHDR, a GIF logical screen or a JPEG start-of-frame; (null, null) otherwise.</summary>
    private static (int?, int?) ReadSize(ReadOnlySpan<byte> bytes)
    {
        // PNG: 8-byte signature, then the IHDR chunk (length, "IHDR", width, height as big-endian 32-bit numbers).
        if (bytes.Length >= 24 && bytes[0] == 0x89 && bytes[12..16].SequenceEqual("IHDR"u8))
        {
            return Positive(BinaryPrimitives.ReadInt32BigEndian(bytes[16..]), BinaryPrimitives.ReadInt32BigEndian(bytes[20..]));
        }

        // GIF: "GIF87a" or "GIF89a", then the logical screen width and height as little-endian 16-bit numbers.
        if (bytes.Length >= 10 && bytes.StartsWith("GIF8"u8))
        {
            return Positive(BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]), BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]));
        }

        return bytes.Length >= 4 && bytes[0] == 0xFF && bytes[1] == 0xD8 ? ReadJpegSize(bytes) : (null, null);
    }

    /// <summary>Walks the JPEG segments to the first start-of-frame marker, which holds height then width.</summary>
    private static (int?, int?) ReadJpegSize(ReadOnlySpan<byte> bytes)
    {
        var i = 2;
        while (i + 9 < bytes.Length)
        {
            if (bytes[i] != 0xFF)
            {
                return (null, null);
            }

            var marker = bytes[i + 1];
            // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                return Positive(BinaryPrimitives.ReadUInt16BigEndian(bytes[(i + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(bytes[(i + 5)..]));
            }

            i += 2 + BinaryPrimitives.ReadUInt16BigEndian(bytes[(i + 2)..]);
        }

        return (null, null);
    }

    private static (int?, int?) Positive(int width, int height) => width > 0 && height > 0 ? (width, height) : (null, null);
}
