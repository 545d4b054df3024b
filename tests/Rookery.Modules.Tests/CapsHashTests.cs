using Rookery.Modules.Caps;
using Rookery.Server.Util;

namespace Rookery.Modules.Tests;

/// <summary>The XEP-0115 verification string and hash (§5), checked against the specification's own examples.</summary>
public sealed class CapsHashTests
{
    // XEP-0115 §5.2 (simple example).
    private const string Simple =
        "<query xmlns='http://jabber.org/protocol/disco#info' node='http://code.google.com/p/exodus#QgayPKawpkPSDYmwT/WM94uAlu0='>" +
        "<identity category='client' name='Exodus 0.9.1' type='pc'/>" +
        "<feature var='http://jabber.org/protocol/caps'/><feature var='http://jabber.org/protocol/disco#info'/>" +
        "<feature var='http://jabber.org/protocol/disco#items'/><feature var='http://jabber.org/protocol/muc'/></query>";

    // XEP-0115 §5.3 (complex example), elements deliberately out of order as in the specification.
    private const string Complex =
        "<query xmlns='http://jabber.org/protocol/disco#info' node='http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w='>" +
        "<identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>" +
        "<identity xml:lang='el' category='client' name='\u03a8 0.11' type='pc'/>" +
        "<feature var='http://jabber.org/protocol/caps'/><feature var='http://jabber.org/protocol/disco#info'/>" +
        "<feature var='http://jabber.org/protocol/disco#items'/><feature var='http://jabber.org/protocol/muc'/>" +
        "<x xmlns='jabber:x:data' type='result'>" +
        "<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>" +
        "<field var='ip_version'><value>ipv4</value><value>ipv6</value></field>" +
        "<field var='os'><value>Mac</value></field><field var='os_version'><value>10.5.1</value></field>" +
        "<field var='software'><value>Psi</value></field><field var='software_version'><value>0.11</value></field>" +
        "</x></query>";

    [Fact]
    public void Compute_SimpleExample_MatchesSpecification()
    {
        CapsHash.Compute(StoredStanza.Parse(Simple), "sha-1").Should().Be("QgayPKawpkPSDYmwT/WM94uAlu0=");
    }

    [Fact]
    public void VerificationString_ComplexExample_MatchesSpecification()
    {
        CapsHash.VerificationString(StoredStanza.Parse(Complex)).Should().Be(
            "client/pc/el/\u03a8 0.11<client/pc/en/Psi 0.11<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<" +
            "http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<urn:xmpp:dataforms:softwareinfo<" +
            "ip_version<ipv4<ipv6<os<Mac<os_version<10.5.1<software<Psi<software_version<0.11<");
    }

    [Fact]
    public void Compute_ComplexExample_MatchesSpecification()
    {
        CapsHash.Compute(StoredStanza.Parse(Complex), "sha-1").Should().Be("q07IKJEyjvHSyhy//CH0CxmKi8w=");
    }

    [Fact]
    public void Compute_RepeatedFeature_IsIllFormed()
    {
        var query = StoredStanza.Parse(Simple.Replace("</query>", "<feature var='http://jabber.org/protocol/muc'/></query>", StringComparison.Ordinal));

        CapsHash.Compute(query, "sha-1").Should().BeNull();
    }

    [Fact]
    public void Compute_RepeatedIdentity_IsIllFormed()
    {
        var query = StoredStanza.Parse(Simple.Replace("</query>", "<identity category='client' name='Exodus 0.9.1' type='pc'/></query>", StringComparison.Ordinal));

        CapsHash.Compute(query, "sha-1").Should().BeNull();
    }

    [Fact]
    public void Compute_FormWithoutHiddenFormType_IsLeftOut()
    {
        var withForm = Simple.Replace(
            "</query>",
            "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE'><value>urn:x</value></field><field var='a'><value>b</value></field></x></query>",
            StringComparison.Ordinal);

        CapsHash.Compute(StoredStanza.Parse(withForm), "sha-1").Should().Be("QgayPKawpkPSDYmwT/WM94uAlu0=");
    }

    [Fact]
    public void Compute_UnsupportedAlgorithm_ReturnsNull()
    {
        CapsHash.Compute(StoredStanza.Parse(Simple), "md5").Should().BeNull();
    }
}
