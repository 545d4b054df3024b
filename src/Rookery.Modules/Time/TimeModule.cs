using System.Globalization;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;

namespace Rookery.Modules.Time;

/// <summary>Entity Time (XEP-0202): the server's clock in UTC and its time zone offset, asked of the host.</summary>
[Xep(202, "2.0")]
public sealed class TimeModule(TimeProvider time) : IXmppModule
{
    /// <summary>The XEP-0202 namespace.</summary>
    public const string Namespace = "urn:xmpp:time";

    /// <inheritdoc />
    public string Name => "time";

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddFeature(Namespace);
        builder.HandleIq(IqType.Get, IqTarget.Host, Namespace, "time", OnTime);
    }

    private ValueTask<IqResult> OnTime(IqContext iq)
    {
        var now = time.GetUtcNow();
        var offset = time.LocalTimeZone.GetUtcOffset(now);
        var result = new Element("time", Namespace);
        // XEP-0202 §3: tzo is a XEP-0082 TZD ("+hh:mm"; numeric even for UTC, which older clients parse more reliably
        // than "Z"), utc a XEP-0082 DateTime in UTC.
        result.AddChild("tzo").AddText(FormatOffset(offset));
        result.AddChild("utc").AddText(now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        return ValueTask.FromResult(IqResult.With(result));
    }

    /// <summary>Formats a UTC offset as <c>+hh:mm</c> or <c>-hh:mm</c>.</summary>
    internal static string FormatOffset(TimeSpan offset)
    {
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        var abs = offset.Duration();
        return string.Create(CultureInfo.InvariantCulture, $"{sign}{abs.Hours:00}:{abs.Minutes:00}");
    }
}
