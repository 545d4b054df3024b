using Rookery.Modules.Proxy65;

namespace Rookery.Modules.Tests.Proxy65;

/// <summary>Validation and defaults of the <c>Modules:Proxy65</c> settings, and the streamhost address of a listener.</summary>
public sealed class Proxy65OptionsTests
{
    [Fact]
    public void Defaults_ValidProxySubdomainThirtySecondsHostUsers()
    {
        var options = new Proxy65Options();

        options.Validate().Should().BeEmpty();
        options.ServiceFor("example.com").Should().Be("proxy.example.com");
        options.ActivationTimeout.Should().Be(TimeSpan.FromSeconds(30));
        options.Access.Should().Be("host");
    }

    [Theory]
    [InlineData(nameof(Proxy65Options.Subdomain), "")]
    [InlineData(nameof(Proxy65Options.Subdomain), "a@b")]
    [InlineData(nameof(Proxy65Options.Host), "not a host")]
    [InlineData(nameof(Proxy65Options.Host), "http://proxy.example.com")]
    [InlineData(nameof(Proxy65Options.Access), "everyone")]
    public void Validate_BadValue_NamesTheKey(string key, string value)
    {
        var options = new Proxy65Options();
        typeof(Proxy65Options).GetProperty(key)!.SetValue(options, value);

        options.Validate().Select(p => p.Key).Should().Equal(key);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3601)]
    public void Validate_ActivationTimeoutOutOfRange_NamesTheKey(int seconds)
    {
        var options = new Proxy65Options { ActivationTimeoutSeconds = seconds };

        options.Validate().Select(p => p.Key).Should().Equal(nameof(Proxy65Options.ActivationTimeoutSeconds));
    }

    [Theory]
    [InlineData("203.0.113.7")]
    [InlineData("2001:db8::7")]
    [InlineData("files.@HOST@")]
    public void Validate_HostNameOrAddress_Valid(string host)
    {
        new Proxy65Options { Host = host }.Validate().Should().BeEmpty();
    }

    [Fact]
    public void Listener_HostPlaceholderAndDefault_NameTheXmppHost()
    {
        new Proxy65Listener("files.@HOST@", () => 7777).HostFor("example.com").Should().Be("files.example.com");
        new Proxy65Listener(null, () => 7777).HostFor("example.com").Should().Be("example.com");
        Proxy65Listener.None.IsServed.Should().BeFalse();
    }
}
