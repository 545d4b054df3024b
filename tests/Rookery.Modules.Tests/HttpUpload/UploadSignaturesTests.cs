using Rookery.Modules.HttpUpload;

namespace Rookery.Modules.Tests.HttpUpload;

/// <summary>The signed PUT URLs of upload slots: what the signature covers, and whose key checks it.</summary>
public sealed class UploadSignaturesTests
{
    private const long Expires = 1_800_000_000;
    private static readonly string Id = UploadSignatures.NewId();

    [Fact]
    public void Verify_AsSigned_True()
    {
        var signer = new UploadSignatures(null);

        signer.Verify(Id, "très cool.jpg", 1234, Expires, signer.Sign(Id, "très cool.jpg", 1234, Expires)).Should().BeTrue();
    }

    [Theory]
    [InlineData("id")]
    [InlineData("name")]
    [InlineData("size")]
    [InlineData("expires")]
    public void Verify_OneFieldChanged_False(string field)
    {
        var signer = new UploadSignatures(null);
        var signature = signer.Sign(Id, "a.txt", 100, Expires);

        var ok = field switch
        {
            "id" => signer.Verify(UploadSignatures.NewId(), "a.txt", 100, Expires, signature),
            "name" => signer.Verify(Id, "b.txt", 100, Expires, signature),
            "size" => signer.Verify(Id, "a.txt", 101, Expires, signature),
            _ => signer.Verify(Id, "a.txt", 100, Expires + 1, signature),
        };

        ok.Should().BeFalse();
    }

    [Fact]
    public void Verify_LineFeedInNameMovedIntoSize_False()
    {
        var signer = new UploadSignatures(null);
        var signature = signer.Sign(Id, "a\n1", 2, Expires);

        signer.Verify(Id, "a", 12, Expires, signature).Should().BeFalse();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not base64url!")]
    [InlineData("AAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Verify_GarbageSignature_FalseWithoutThrowing(string? signature)
    {
        new UploadSignatures(null).Verify(Id, "a.txt", 100, Expires, signature).Should().BeFalse();
    }

    [Fact]
    public void Verify_AlteredSignature_False()
    {
        var signer = new UploadSignatures(null);
        var signature = signer.Sign(Id, "a.txt", 100, Expires);
        var altered = signature[..5] + (signature[5] == 'A' ? 'B' : 'A') + signature[6..];

        signer.Verify(Id, "a.txt", 100, Expires, altered).Should().BeFalse();
    }

    [Fact]
    public void Verify_SameClusterSecret_AnyNodeAccepts_OtherSecretOrRandomKeyRefuses()
    {
        var nodeA = new UploadSignatures("the cluster secret, 16+ chars");
        var nodeB = new UploadSignatures("the cluster secret, 16+ chars");
        var otherCluster = new UploadSignatures("another cluster secret here");
        var single = new UploadSignatures(null);
        var signature = nodeA.Sign(Id, "a.txt", 100, Expires);

        nodeB.Verify(Id, "a.txt", 100, Expires, signature).Should().BeTrue();
        otherCluster.Verify(Id, "a.txt", 100, Expires, signature).Should().BeFalse();
        single.Verify(Id, "a.txt", 100, Expires, signature).Should().BeFalse();
        // Two single nodes have random keys of their own.
        new UploadSignatures(null).Verify(Id, "a.txt", 100, Expires, single.Sign(Id, "a.txt", 100, Expires)).Should().BeFalse();
    }

    [Fact]
    public void NewId_RandomAndValid()
    {
        var ids = Enumerable.Range(0, 100).Select(_ => UploadSignatures.NewId()).ToList();

        ids.Should().OnlyHaveUniqueItems().And.OnlyContain(id => UploadSignatures.IsValidId(id) && id.Length == UploadSignatures.IdLength);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("../../../../../etc/passwd")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAA.")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAA/")]
    public void IsValidId_NotAnIssuedForm_False(string? id)
    {
        UploadSignatures.IsValidId(id).Should().BeFalse();
    }
}
