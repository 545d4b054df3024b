using Rookery.Modules.HttpUpload;

namespace Rookery.Modules.Tests.HttpUpload;

/// <summary>Validation and defaults of the <c>Modules:HttpUpload</c> settings, and what a slot's file name may be.</summary>
public sealed class HttpUploadOptionsTests
{
    [Fact]
    public void Defaults_ValidTenMibFiveMinutesUploadSubdomain()
    {
        var options = new HttpUploadOptions();

        options.Validate().Should().BeEmpty();
        options.MaxFileSize.Should().Be(10 * 1024 * 1024);
        options.SlotLifetimeSeconds.Should().Be(300);
        options.ExpireAfterDays.Should().Be(0, "files are kept until removed by hand unless an expiry is set");
        options.ServiceFor("example.com").Should().Be("upload.example.com");
    }

    [Fact]
    public void ServiceFor_ServiceNamesEntry_ReplacesSubdomain()
    {
        var options = new HttpUploadOptions { ServiceNames = new(StringComparer.OrdinalIgnoreCase) { ["example.com"] = "share.example.com" } };

        options.ServiceFor("example.com").Should().Be("share.example.com");
        options.ServiceFor("example.org").Should().Be("upload.example.org");
    }

    public static TheoryData<HttpUploadOptions, string> BadOptions => new()
    {
        { new HttpUploadOptions { Subdomain = "" }, "Subdomain" },
        { new HttpUploadOptions { Subdomain = "a/b" }, "Subdomain" },
        { new HttpUploadOptions { ServiceNames = new() { ["example.com"] = "user@example.com" } }, "ServiceNames:example.com" },
        { new HttpUploadOptions { MaxFileSize = 0 }, "MaxFileSize" },
        { new HttpUploadOptions { BaseUrl = "files.example.com" }, "BaseUrl" },
        { new HttpUploadOptions { BaseUrl = "ftp://files.example.com" }, "BaseUrl" },
        { new HttpUploadOptions { BaseUrl = "https://files.example.com/?a=b" }, "BaseUrl" },
        { new HttpUploadOptions { SlotLifetimeSeconds = 5 }, "SlotLifetimeSeconds" },
        { new HttpUploadOptions { SlotLifetimeSeconds = 86_401 }, "SlotLifetimeSeconds" },
        { new HttpUploadOptions { ExpireAfterDays = -1 }, "ExpireAfterDays" },
        { new HttpUploadOptions { ExpireAfterDays = 36_501 }, "ExpireAfterDays" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Validate_BadValue_NamesTheKey(HttpUploadOptions options, string key)
    {
        options.Validate().Select(p => p.Key).Should().Equal(key);
    }

    [Theory]
    [InlineData("https://files.example.com")]
    [InlineData("https://@HOST@:8443/share/")]
    [InlineData("http://127.0.0.1:5280")]
    public void Validate_GoodBaseUrl_NoProblem(string baseUrl)
    {
        new HttpUploadOptions { BaseUrl = baseUrl }.Validate().Should().BeEmpty();
    }

    [Fact]
    public void BaseUrlFor_HostPlaceholderAndTrailingSlash()
    {
        var site = new HttpUploadSite(new HttpUploadOptions { BaseUrl = "https://files.@HOST@/share/" }, "/tmp/x", null);

        site.BaseUrlFor("example.com").Should().Be("https://files.example.com/share");
    }

    [Theory]
    [InlineData("photo.jpg", true)]
    [InlineData("très cool & 'quoted'.jpg", true)]
    [InlineData("", false)]
    [InlineData(" ", false)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("a/b.jpg", false)]
    [InlineData("a\\b.jpg", false)]
    [InlineData("a\nb.jpg", false)]
    public void IsAcceptableFileName(string name, bool acceptable)
    {
        HttpUploadService.IsAcceptableFileName(name).Should().Be(acceptable);
        HttpUploadService.IsAcceptableFileName(new string('x', HttpUploadService.MaxFileNameLength + 1)).Should().BeFalse();
    }
}
