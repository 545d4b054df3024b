using System.Diagnostics.CodeAnalysis;

namespace Rookery.Protocol.Addressing;

/// <summary>
/// An XMPP address (RFC 7622) <c>[localpart@]domainpart[/resourcepart]</c>, prepared once at construction and then
/// compared by value (ordinal on the normalised parts) with a precomputed hash, so it can serve as a routing key.
/// </summary>
public sealed class Jid : IEquatable<Jid>
{
    private readonly int _hashCode;
    private readonly string _text;
    private Jid? _bare;

    private Jid(string? local, string domain, string? resource, string? text)
    {
        Local = local;
        Domain = domain;
        Resource = resource;
        _text = text ?? Format(local, domain, resource);
        _hashCode = HashCode.Combine(local, domain, resource);
    }

    /// <summary>The localpart, prepared with the UsernameCaseMapped profile, or null for a domain JID.</summary>
    public string? Local { get; }

    /// <summary>The domainpart: lower-cased, NFC, no trailing dot, U-labels for internationalised names.</summary>
    public string Domain { get; }

    /// <summary>The resourcepart, prepared with the OpaqueString profile (case is kept), or null for a bare JID.</summary>
    public string? Resource { get; }

    /// <summary>True when the JID has no resourcepart.</summary>
    public bool IsBare => Resource is null;

    /// <summary>True when the JID has no localpart, i.e. it addresses a server or component (possibly with a resource).</summary>
    public bool IsDomain => Local is null;

    /// <summary>The JID without its resourcepart; this instance when already bare. Computed once.</summary>
    public Jid Bare
    {
        get
        {
            if (Resource is null)
            {
                return this;
            }

            var bare = _bare;
            if (bare is null)
            {
                bare = new Jid(Local, Domain, null, null);
                bare = Interlocked.CompareExchange(ref _bare, bare, null) ?? bare;
            }

            return bare;
        }
    }

    /// <summary>Parses and prepares a JID; throws <see cref="FormatException"/> saying which rule the text breaks.</summary>
    public static Jid Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var jid, out var error) ? jid : throw new FormatException($"Invalid JID: {error}.");
    }

    /// <summary>Parses and prepares a JID; returns false (without throwing) for null or invalid text.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out Jid? jid)
    {
        if (text is null)
        {
            jid = null;
            return false;
        }

        return TryParse(text, out jid, out _);
    }

    /// <summary>Builds a JID from separate parts, preparing each; throws <see cref="FormatException"/> for an invalid part.</summary>
    public static Jid Create(string? local, string domain, string? resource = null)
    {
        ArgumentNullException.ThrowIfNull(domain);
        string? error;
        string? preparedLocal = null;
        string? preparedResource = null;
        var preparedDomain = JidPrep.PrepareDomain(domain, out error);
        if (preparedDomain is not null && local is not null)
        {
            preparedLocal = JidPrep.PrepareLocal(local, out error);
        }

        if (error is null && resource is not null)
        {
            preparedResource = JidPrep.PrepareResource(resource, out error);
        }

        return error is null ? new Jid(preparedLocal, preparedDomain!, preparedResource, null) : throw new FormatException($"Invalid JID: {error}.");
    }

    /// <summary>Returns this JID's bare part with the given resourcepart, which is prepared (OpaqueString) first.</summary>
    public Jid WithResource(string resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var prepared = JidPrep.PrepareResource(resource, out var error) ?? throw new FormatException($"Invalid JID: {error}.");
        return new Jid(Local, Domain, prepared, null);
    }

    /// <summary>The canonical string form <c>local@domain/resource</c>; computed once.</summary>
    public override string ToString() => _text;

    /// <summary>Value equality: all three normalised parts are ordinally equal.</summary>
    public bool Equals(Jid? other) =>
        other is not null
        && (ReferenceEquals(this, other)
            || (_hashCode == other._hashCode
                && string.Equals(Domain, other.Domain, StringComparison.Ordinal)
                && string.Equals(Local, other.Local, StringComparison.Ordinal)
                && string.Equals(Resource, other.Resource, StringComparison.Ordinal)));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Jid other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _hashCode;

    /// <summary>Value equality of two JIDs (null equals null).</summary>
    public static bool operator ==(Jid? left, Jid? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Value inequality of two JIDs.</summary>
    public static bool operator !=(Jid? left, Jid? right) => !(left == right);

    private static bool TryParse(string text, [NotNullWhen(true)] out Jid? jid, [NotNullWhen(false)] out string? error)
    {
        jid = null;

        // RFC 7622 §3.2: the resourcepart starts at the first '/', the localpart ends at the first '@' before it.
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var bareLength = slash < 0 ? text.Length : slash;
        var at = text.AsSpan(0, bareLength).IndexOf('@');

        string? local = null;
        if (at >= 0)
        {
            if (at == 0)
            {
                error = "the localpart is empty";
                return false;
            }

            local = JidPrep.PrepareLocal(text[..at], out error);
            if (local is null)
            {
                error ??= "the localpart is invalid";
                return false;
            }
        }

        var domainText = text[(at + 1)..bareLength];
        var domain = JidPrep.PrepareDomain(domainText, out error);
        if (domain is null)
        {
            error ??= "the domainpart is invalid";
            return false;
        }

        string? resource = null;
        if (slash >= 0)
        {
            if (slash == text.Length - 1)
            {
                error = "the resourcepart is empty";
                return false;
            }

            resource = JidPrep.PrepareResource(text[(slash + 1)..], out error);
            if (resource is null)
            {
                error ??= "the resourcepart is invalid";
                return false;
            }
        }

        // When preparation changed nothing the input already is the canonical form: reuse it instead of formatting.
        var canonical = ReferenceEquals(domain, domainText)
            && (local is null || (local.Length == at && text.AsSpan(0, at).SequenceEqual(local)))
            && (resource is null || resource.Length == text.Length - slash - 1);
        jid = new Jid(local, domain, resource, canonical && (resource is null || text.AsSpan(slash + 1).SequenceEqual(resource)) ? text : null);
        error = null;
        return true;
    }

    private static string Format(string? local, string domain, string? resource) => (local, resource) switch
    {
        (null, null) => domain,
        (null, _) => string.Concat(domain, "/", resource),
        (_, null) => string.Concat(local, "@", domain),
        _ => string.Concat(local, "@", domain, "/", resource),
    };
}
