using Rookery.Modules.ExternalServices;

namespace Rookery.Modules.Tests.ExternalServices;

public sealed class TurnRestCredentialsTests
{
    [Fact]
    public void Create_KnownVector_UsernameIsExpiryAndId_PasswordIsBase64HmacSha1()
    {
        // Expected password computed outside .NET: python3 -c "import hmac,hashlib,base64;
        // print(base64.b64encode(hmac.new(b'coturn-secret', b'1700086400:alice@example.org', hashlib.sha1).digest()))"
        var expires = DateTimeOffset.FromUnixTimeSeconds(1700086400);

        var credentials = TurnRestCredentials.Create("coturn-secret", "alice@example.org", expires);

        credentials.Username.Should().Be("1700086400:alice@example.org");
        credentials.Password.Should().Be("tmJRJLe/8YC9heoLRoLy7Eyh5RM=");
        credentials.Expires.Should().Be(expires);
    }

    [Fact]
    public void Create_OtherSecret_OtherPassword()
    {
        var credentials = TurnRestCredentials.Create("north", "alice@example.org", DateTimeOffset.FromUnixTimeSeconds(1700086400));

        credentials.Password.Should().Be("plPZYuF9WYw8ProirmfsL1geV6s=");
    }

    [Fact]
    public void Create_ExpiryWithFraction_CutToWholeSeconds()
    {
        var credentials = TurnRestCredentials.Create("s", "id", DateTimeOffset.FromUnixTimeSeconds(1700086400).AddMilliseconds(999));

        credentials.Username.Should().Be("1700086400:id");
        credentials.Expires.Should().Be(DateTimeOffset.FromUnixTimeSeconds(1700086400));
    }
}
