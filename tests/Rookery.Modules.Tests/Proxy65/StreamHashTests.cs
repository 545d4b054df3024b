using System.Text;
using Rookery.Modules.Proxy65;
using Rookery.Protocol.Addressing;

namespace Rookery.Modules.Tests.Proxy65;

public sealed class StreamHashTests
{
    [Fact]
    public void Compute_SidRequesterTarget_Sha1InLowerHex()
    {
        // sha1("vxf9n471bn46" + "requester@example.com/foo" + "target@example.org/bar"), computed with Python's hashlib.
        var hash = StreamHash.Compute("vxf9n471bn46", Jid.Parse("requester@example.com/foo"), Jid.Parse("target@example.org/bar"));

        hash.Should().Be("98b8d688d0f5d895fd41c5e7309a2e9e33ba32ff");
    }

    [Fact]
    public void Compute_JidsArePreppedBeforeHashing()
    {
        // XEP-0065 §5.3.2: stringprep is applied to the JIDs before hashing, so case in the domain does not matter.
        var prepped = StreamHash.Compute("s", Jid.Parse("requester@example.com/foo"), Jid.Parse("target@example.org/bar"));
        var unprepped = StreamHash.Compute("s", Jid.Parse("Requester@EXAMPLE.com/foo"), Jid.Parse("target@Example.ORG/bar"));

        unprepped.Should().Be(prepped);
    }

    [Fact]
    public void TryRead_FortyHexDigits_LowerCased()
    {
        StreamHash.TryRead(Encoding.ASCII.GetBytes("98B8D688D0F5D895FD41C5E7309A2E9E33BA32FF"), out var hash).Should().BeTrue();

        hash.Should().Be("98b8d688d0f5d895fd41c5e7309a2e9e33ba32ff");
    }

    [Theory]
    [InlineData("")]
    [InlineData("98b8d688d0f5d895fd41c5e7309a2e9e33ba32f")]
    [InlineData("98b8d688d0f5d895fd41c5e7309a2e9e33ba32ff0")]
    [InlineData("98b8d688d0f5d895fd41c5e7309a2e9e33ba32fg")]
    [InlineData("proxy.example.com")]
    public void TryRead_NotFortyHexDigits_False(string address)
    {
        StreamHash.TryRead(Encoding.ASCII.GetBytes(address), out _).Should().BeFalse();
    }
}
