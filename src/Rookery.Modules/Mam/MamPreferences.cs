using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Storage;

namespace Rookery.Modules.Mam;

/// <summary>
/// Archiving preferences (XEP-0441, in the <c>urn:xmpp:mam:2</c> namespace): reading and replacing a user's
/// <c>&lt;prefs/&gt;</c>, and deciding from them whether a message with a given JID goes into the user's archive.
/// </summary>
internal sealed class MamPreferences(IMessageArchiveStore store, IRosterStore rosters, MamOptions options)
{
    /// <summary>Most JIDs a user may list in both lists together; more is refused with not-acceptable.</summary>
    public const int MaxJids = 1000;

    /// <summary>Answers a preferences request: the stored preferences, or the server's default with empty lists.</summary>
    public async ValueTask<IqResult> GetAsync(IqContext iq)
    {
        MamModule.RequireSelf(iq);
        var prefs = await store.GetPreferencesAsync(iq.To.Bare.ToString(), iq.Cancellation).ConfigureAwait(false);
        return IqResult.With(Describe(prefs ?? new ArchivePreferences(options.Default, [], [])));
    }

    /// <summary>Replaces the preferences and answers with those now in force (§2.1: they may differ from the request).</summary>
    public async ValueTask<IqResult> SetAsync(IqContext iq)
    {
        MamModule.RequireSelf(iq);
        var owner = iq.To.Bare.ToString();
        var mode = ParseDefault(iq.Payload.GetAttribute("default"))
            ?? throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "'default' must be always, roster or never");
        var always = Jids(iq.Payload.Child("always", MamModule.Namespace));
        var never = Jids(iq.Payload.Child("never", MamModule.Namespace));
        if (always.Count + never.Count > MaxJids)
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"At most {MaxJids} JIDs can be listed");
        }

        await store.SetPreferencesAsync(owner, new ArchivePreferences(mode, always, never), iq.Cancellation).ConfigureAwait(false);
        var applied = await store.GetPreferencesAsync(owner, iq.Cancellation).ConfigureAwait(false);
        return IqResult.With(Describe(applied ?? new ArchivePreferences(mode, always, never)));
    }

    /// <summary>
    /// Whether <paramref name="owner"/>'s archive keeps a message with <paramref name="target"/> (the recipient of an
    /// outgoing message, the sender of an incoming one; §2.3). The never list wins over the always list, which wins over
    /// the default.
    /// </summary>
    public async ValueTask<bool> ShouldArchiveAsync(Jid owner, Jid target, CancellationToken ct)
    {
        var ownerText = owner.ToString();
        var prefs = await store.GetPreferencesAsync(ownerText, ct).ConfigureAwait(false);
        var mode = options.Default;
        if (prefs is not null)
        {
            if (Listed(prefs.Never, target))
            {
                return false;
            }

            if (Listed(prefs.Always, target))
            {
                return true;
            }

            mode = prefs.Default;
        }

        return mode switch
        {
            ArchiveDefault.Always => true,
            // §2.1.1: the contact's bare JID in the roster; the user's own account counts as known (notes to self).
            ArchiveDefault.Roster => target.Bare == owner ||
                await rosters.GetItemAsync(ownerText, target.Bare.ToString(), ct).ConfigureAwait(false) is not null,
            _ => false,
        };
    }

    /// <summary>§2.3.1: a listed full JID matches only itself; a listed bare JID matches every resource of it.</summary>
    private static bool Listed(IReadOnlyList<string> list, Jid target)
    {
        if (list.Count == 0)
        {
            return false;
        }

        var full = target.ToString();
        var bare = target.Bare.ToString();
        foreach (var jid in list)
        {
            if (jid == bare || jid == full)
            {
                return true;
            }
        }

        return false;
    }

    private static ArchiveDefault? ParseDefault(string? value) => value switch
    {
        "always" => ArchiveDefault.Always,
        "roster" => ArchiveDefault.Roster,
        "never" => ArchiveDefault.Never,
        _ => null,
    };

    /// <summary>The JIDs of an <c>&lt;always/&gt;</c> or <c>&lt;never/&gt;</c> list, normalised; a missing list is empty.</summary>
    private static List<string> Jids(Element? list)
    {
        var jids = new List<string>();
        if (list is null)
        {
            return jids;
        }

        foreach (var child in list.Elements())
        {
            if (child.Name != "jid" || child.Namespace != MamModule.Namespace)
            {
                continue;
            }

            if (!Jid.TryParse(child.Text.Trim(), out var jid))
            {
                throw new StanzaErrorException(StanzaErrorCondition.JidMalformed, $"'{child.Text}' is not a JID");
            }

            jids.Add(jid.ToString());
        }

        return jids;
    }

    private static Element Describe(ArchivePreferences prefs)
    {
        var element = new Element("prefs", MamModule.Namespace).SetAttribute("default", prefs.Default switch
        {
            ArchiveDefault.Always => "always",
            ArchiveDefault.Roster => "roster",
            _ => "never",
        });
        // §2.1: both lists are present, even when empty.
        var always = element.AddChild("always");
        foreach (var jid in prefs.Always)
        {
            always.AddChild("jid").AddText(jid);
        }

        var never = element.AddChild("never");
        foreach (var jid in prefs.Never)
        {
            never.AddChild("jid").AddText(jid);
        }

        return element;
    }
}
