using System.Globalization;
using Microsoft.Extensions.Logging;
using Rookery.Modules.DataForms;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Routing;

namespace Rookery.Modules.HttpUpload;

/// <summary>
/// The upload service of one host on its own domain (XEP-0363), such as <c>upload.example.com</c>: answers disco with
/// the <c>store/file</c> identity and the size limit, and hands the host's users upload slots whose PUT URL is signed
/// (<see cref="UploadSignatures"/>), so that whichever node receives the PUT can check it.
/// </summary>
public sealed partial class HttpUploadService : IqService
{
    /// <summary>The XEP-0363 namespace.</summary>
    public const string Namespace = "urn:xmpp:http:upload:0";

    /// <summary>The service's name in its disco identity and in the host's items.</summary>
    public const string DisplayName = "HTTP File Upload";

    /// <summary>Longest file name accepted in a slot request, in characters.</summary>
    public const int MaxFileNameLength = 255;

    private const string DiscoInfoNs = "http://jabber.org/protocol/disco#info";
    private const string DiscoItemsNs = "http://jabber.org/protocol/disco#items";

    private readonly string _host;
    private readonly HttpUploadOptions _options;
    private readonly HttpUploadSite _site;
    private readonly UploadSignatures _signatures;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the service of <paramref name="host"/> on <paramref name="domain"/>.</summary>
    public HttpUploadService(Jid domain, string host, HttpUploadOptions options, HttpUploadSite site, UploadSignatures signatures, Router router, TimeProvider time, ILogger logger)
        : base(domain, router)
    {
        _host = host;
        _options = options;
        _site = site;
        _signatures = signatures;
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc />
    protected override async ValueTask HandleIqAsync(Stanza stanza, Element payload)
    {
        var type = stanza.Type;
        Element? result;
        switch (payload.Namespace, payload.Name, type)
        {
            case (DiscoInfoNs, "query", "get") when payload.GetAttribute("node") is null:
                result = Info();
                break;
            case (DiscoItemsNs, "query", "get") when payload.GetAttribute("node") is null:
                result = new Element("query", DiscoItemsNs);
                break;
            case (DiscoInfoNs or DiscoItemsNs, "query", "get"):
                await Router.BounceAsync(stanza, StanzaErrorCondition.ItemNotFound);
                return;
            case (Namespace, "request", "get"):
                if (!TryCreateSlot(stanza, payload, out result, out var error))
                {
                    await Router.BounceAsync(stanza, error.Condition, error.Text, error.ApplicationCondition);
                    return;
                }

                break;
            default:
                // As the router does for an iq no module claims (RFC 6120 §8.2.3).
                await Router.BounceAsync(stanza, StanzaErrorCondition.ServiceUnavailable);
                return;
        }

        var reply = new Element("iq", stanza.Element.Namespace).SetAttribute("type", "result").SetAttribute("id", stanza.Element.GetAttribute("id"));
        if (result is not null)
        {
            reply.Add(result);
        }

        await Router.RouteAsync(reply, stanza.To, stanza.From);
    }

    /// <summary>XEP-0363 §3: the <c>store/file</c> identity, the feature, and the size limit as an XEP-0128 form.</summary>
    private Element Info()
    {
        var query = new Element("query", DiscoInfoNs);
        query.AddChild("identity").SetAttribute("category", "store").SetAttribute("type", "file").SetAttribute("name", DisplayName);
        query.AddChild("feature").SetAttribute("var", DiscoInfoNs);
        query.AddChild("feature").SetAttribute("var", DiscoItemsNs);
        query.AddChild("feature").SetAttribute("var", Namespace);
        var form = new DataForm("result").WithFormType(Namespace);
        form.AddField("max-file-size").Values.Add(_options.MaxFileSize.ToString(CultureInfo.InvariantCulture));
        query.Add(form.ToElement());
        return query;
    }

    /// <summary>XEP-0363 §4: checks the request and builds the slot, or says which error to answer with (§4.1, §4.2).</summary>
    private bool TryCreateSlot(Stanza stanza, Element request, out Element? slot, out (StanzaErrorCondition Condition, string Text, Element? ApplicationCondition) error)
    {
        slot = null;
        var from = stanza.From;
        // Uploads are for the accounts of the service's host (ejabberd's and Prosody's default access).
        if (from.Local is null || !string.Equals(from.Domain, _host, StringComparison.Ordinal))
        {
            error = (StanzaErrorCondition.Forbidden, $"Only users of {_host} may upload here", null);
            return false;
        }

        var fileName = request.GetAttribute("filename");
        if (!IsAcceptableFileName(fileName))
        {
            error = (StanzaErrorCondition.BadRequest, "The filename attribute is missing or is not a plain file name", null);
            return false;
        }

        var sizeText = request.GetAttribute("size");
        if (sizeText is null || !long.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size <= 0)
        {
            error = (StanzaErrorCondition.BadRequest, "The size attribute must be a positive number of bytes", null);
            return false;
        }

        if (size > _options.MaxFileSize)
        {
            // §4.2: the limit in an application-specific condition, so the client can tell the user.
            var tooLarge = new Element("file-too-large", Namespace);
            tooLarge.AddChild("max-file-size").AddText(_options.MaxFileSize.ToString(CultureInfo.InvariantCulture));
            error = (StanzaErrorCondition.NotAcceptable, $"File too large: the limit is {_options.MaxFileSize} bytes", tooLarge);
            return false;
        }

        var id = UploadSignatures.NewId();
        var expires = _time.GetUtcNow().ToUnixTimeSeconds() + _options.SlotLifetimeSeconds;
        var url = string.Concat(_site.BaseUrlFor(_host), "/upload/", id, "/", Uri.EscapeDataString(fileName!));
        var signature = _signatures.Sign(id, fileName!, size, expires);
        var put = string.Create(CultureInfo.InvariantCulture, $"{url}?expires={expires}&size={size}&sig={signature}");
        slot = new Element("slot", Namespace);
        slot.AddChild("put").SetAttribute("url", put);
        slot.AddChild("get").SetAttribute("url", url);
        Log.SlotIssued(_logger, id, size, from);
        error = default;
        return true;
    }

    /// <summary>A file name a slot URL can carry: not empty, no path separator, no control character, not a dot name.</summary>
    internal static bool IsAcceptableFileName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxFileNameLength || name is "." or "..")
        {
            return false;
        }

        foreach (var c in name)
        {
            if (c is '/' or '\\' || char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4700, Level = LogLevel.Debug, Message = "Upload slot {Id} of {Size} bytes handed to {From}")]
        public static partial void SlotIssued(ILogger logger, string id, long size, Jid from);
    }
}
