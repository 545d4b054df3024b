using System.Security.Cryptography;
using Rookery.Modules.AvatarConversion;
using Rookery.Protocol.Xml;
using Rookery.Server.Util;

namespace Rookery.Modules.Tests.AvatarConversion;

public sealed class AvatarImageTests
{
    /// <summary>The start of a 48×32 PNG: signature and IHDR chunk (what the size is read from), then a few more bytes.</summary>
    internal static readonly byte[] Png =
    [
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R',
        0, 0, 0, 48, 0, 0, 0, 32, 8, 6, 0, 0, 0, 0x12, 0x34, 0x56, 0x78,
    ];

    [Fact]
    public void FromPhoto_Base64WithTypeAndLineBreaks_BytesHashTypeAndSize()
    {
        var base64 = Convert.ToBase64String(Png);
        // vCards wrap base64 (RFC 2426); the line breaks are not part of the value.
        var wrapped = base64[..10] + "\n  " + base64[10..];
        var vcard = Parse($"<vCard xmlns='vcard-temp'><FN>A</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>{wrapped}</BINVAL></PHOTO></vCard>");

        var image = AvatarImage.FromPhoto(vcard)!;

        image.Bytes.Should().Equal(Png);
        image.Hash.Should().Be(Convert.ToHexStringLower(SHA1.HashData(Png)));
        image.Type.Should().Be("image/png");
        (image.Width, image.Height).Should().Be((48, 32));
    }

    [Theory]
    [InlineData("<vCard xmlns='vcard-temp'><FN>A</FN></vCard>")]
    [InlineData("<vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>not base64!</BINVAL></PHOTO></vCard>")]
    [InlineData("<vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>   </BINVAL></PHOTO></vCard>")]
    [InlineData("<vCard xmlns='vcard-temp'><PHOTO><EXTVAL>https://example.org/a.png</EXTVAL></PHOTO></vCard>")]
    public void FromPhoto_NoUsableImage_Null(string xml)
    {
        AvatarImage.FromPhoto(Parse(xml)).Should().BeNull();
        AvatarImage.HashOfPhoto(Parse(xml)).Should().BeNull();
    }

    [Fact]
    public void FromPhoto_NoType_TypeFromTheBytes()
    {
        var gif = "GIF89a"u8.ToArray().Concat(new byte[] { 5, 0, 7, 0, 0, 0, 0 }).ToArray();
        var jpeg = new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 11, 8, 0, 20, 0, 30, 3, 1, 2, 3 };

        var fromGif = AvatarImage.FromPhoto(Parse($"<vCard xmlns='vcard-temp'><PHOTO><BINVAL>{Convert.ToBase64String(gif)}</BINVAL></PHOTO></vCard>"))!;
        var fromJpeg = AvatarImage.FromPhoto(Parse($"<vCard xmlns='vcard-temp'><PHOTO><BINVAL>{Convert.ToBase64String(jpeg)}</BINVAL></PHOTO></vCard>"))!;
        var unknown = AvatarImage.FromPhoto(Parse("<vCard xmlns='vcard-temp'><PHOTO><BINVAL>AAECAw==</BINVAL></PHOTO></vCard>"))!;

        (fromGif.Type, fromGif.Width, fromGif.Height).Should().Be(("image/gif", 5, 7));
        // The start-of-frame after an APP0 segment: height 20, width 30.
        (fromJpeg.Type, fromJpeg.Width, fromJpeg.Height).Should().Be(("image/jpeg", 30, 20));
        (unknown.Type, unknown.Width, unknown.Height).Should().Be(("application/octet-stream", (int?)null, (int?)null));
    }

    [Fact]
    public void ToDataAndMetadata_Xep0084Payloads()
    {
        var image = AvatarImage.FromPhoto(PhotoCard(Png, "image/png"))!;

        var data = image.ToData();
        var metadata = image.ToMetadata();

        data.ToString().Should().Be($"<data xmlns='urn:xmpp:avatar:data'>{Convert.ToBase64String(Png)}</data>");
        metadata.ToString().Should().Be(
            $"<metadata xmlns='urn:xmpp:avatar:metadata'><info bytes='{Png.Length}' id='{image.Hash}' type='image/png' width='48' height='32'/></metadata>");
    }

    [Fact]
    public void ToMetadata_SizeUnknown_NoWidthOrHeight()
    {
        var image = AvatarImage.FromPhoto(PhotoCard([1, 2, 3, 4], "image/webp"))!;

        var info = image.ToMetadata().Child("info", AvatarImage.MetadataNamespace)!;

        info.GetAttribute("type").Should().Be("image/webp");
        info.GetAttribute("bytes").Should().Be("4");
        info.GetAttribute("width").Should().BeNull();
        info.GetAttribute("height").Should().BeNull();
    }

    [Fact]
    public void FromData_MatchingHash_ImageAndToPhotoRoundTrips()
    {
        var hash = Convert.ToHexStringLower(SHA1.HashData(Png));
        var data = Parse($"<data xmlns='urn:xmpp:avatar:data'>{Convert.ToBase64String(Png)}</data>");
        var info = Parse($"<info xmlns='urn:xmpp:avatar:metadata' id='{hash.ToUpperInvariant()}' bytes='{Png.Length}' type='image/png'/>");

        var image = AvatarImage.FromData(data, info)!;
        var photo = image.ToPhoto();

        image.Hash.Should().Be(hash);
        photo.ToString().Should().Be($"<PHOTO xmlns='vcard-temp'><TYPE>image/png</TYPE><BINVAL>{Convert.ToBase64String(Png)}</BINVAL></PHOTO>");
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000", true)]
    [InlineData(null, false)]
    public void FromData_HashMismatchOrNotBase64_Null(string? id, bool base64)
    {
        var text = base64 ? Convert.ToBase64String(Png) : "%%%";
        var data = Parse($"<data xmlns='urn:xmpp:avatar:data'>{text}</data>");
        var info = Parse($"<info xmlns='urn:xmpp:avatar:metadata' id='{id ?? Convert.ToHexStringLower(SHA1.HashData(Png))}' type='image/png'/>");

        AvatarImage.FromData(data, info).Should().BeNull();
    }

    [Fact]
    public void StoredInfo_SkipsInfosWithUrl_NullWhenEmpty()
    {
        var metadata = Parse(
            "<metadata xmlns='urn:xmpp:avatar:metadata'>" +
            "<info id='aaa' bytes='1' type='image/png' url='https://example.org/a.png'/>" +
            "<info id='bbb' bytes='1' type='image/png'/></metadata>");

        AvatarImage.StoredInfo(metadata)!.GetAttribute("id").Should().Be("bbb");
        AvatarImage.StoredInfo(Parse("<metadata xmlns='urn:xmpp:avatar:metadata'/>")).Should().BeNull();
    }

    internal static Element PhotoCard(byte[] bytes, string type) =>
        Parse($"<vCard xmlns='vcard-temp'><PHOTO><TYPE>{type}</TYPE><BINVAL>{Convert.ToBase64String(bytes)}</BINVAL></PHOTO></vCard>");

    private static Element Parse(string xml) => StoredStanza.Parse(xml);
}
