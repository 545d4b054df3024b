using System.Security.Cryptography;
using System.Text;
using Rookery.Protocol.Sasl;

namespace Rookery.Protocol.Tests.Sasl;

public sealed class Pbkdf2Tests
{
    [Fact]
    public void IsAccelerated_OnLinuxWithOpenSsl3_True()
    {
        // The fast path is what makes a PLAIN login cheap (issue #6); on this project's Linux machines it must be on.
        if (OperatingSystem.IsLinux() && File.Exists("/usr/lib/x86_64-linux-gnu/libcrypto.so.3"))
        {
            Pbkdf2.IsAccelerated.Should().BeTrue();
        }
    }

    [Theory]
    // RFC 6070 §2 (PBKDF2-HMAC-SHA1).
    [InlineData("password", "salt", 1, "0c60c80f961f0e71f3a9b524af6012062fe037a6")]
    [InlineData("password", "salt", 2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957")]
    [InlineData("password", "salt", 4096, "4b007901b765489abead49d926f721d065a429c1")]
    public void Derive_Rfc6070Vectors_Match(string password, string salt, int iterations, string hex)
    {
        var output = new byte[20];

        Pbkdf2.Derive(ScramHash.Sha1, Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(salt), output, iterations);

        Convert.ToHexStringLower(output).Should().Be(hex);
    }

    [Theory]
    [InlineData(ScramHash.Sha1)]
    [InlineData(ScramHash.Sha256)]
    [InlineData(ScramHash.Sha512)]
    public void Derive_AnyPasswordSaltAndCount_SameAsRfc2898DeriveBytes(ScramHash hash)
    {
        var random = new Random(6);
        foreach (var passwordLength in new[] { 0, 1, 20, 63, 64, 65, 200 })
        {
            foreach (var saltLength in new[] { 1, 16, 60, 61, 64, 300 })
            {
                foreach (var iterations in new[] { 1, 2, 3, 100 })
                {
                    var password = new byte[passwordLength];
                    var salt = new byte[saltLength];
                    random.NextBytes(password);
                    random.NextBytes(salt);
                    var expected = new byte[hash.HashSize()];
                    var actual = new byte[hash.HashSize()];
                    Rfc2898DeriveBytes.Pbkdf2(password, salt, expected, iterations, hash.AlgorithmName());

                    Pbkdf2.Derive(hash, password, salt, actual, iterations);

                    actual.Should().Equal(expected, $"{hash}, password {passwordLength} B, salt {saltLength} B, {iterations} iterations");
                }
            }
        }
    }

    [Fact]
    public void Derive_LongerOutputThanOneBlock_SameAsRfc2898DeriveBytes()
    {
        var expected = new byte[50];
        var actual = new byte[50];
        Rfc2898DeriveBytes.Pbkdf2("pencil"u8, "salt"u8, expected, 10, HashAlgorithmName.SHA1);

        Pbkdf2.Derive(ScramHash.Sha1, "pencil"u8, "salt"u8, actual, 10);

        actual.Should().Equal(expected);
    }
}
