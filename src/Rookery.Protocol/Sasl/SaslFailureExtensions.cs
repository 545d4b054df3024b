namespace Rookery.Protocol.Sasl;

/// <summary>Maps <see cref="SaslFailure"/> values to and from their RFC 6120 §6.5 element names.</summary>
public static class SaslFailureExtensions
{
    private static readonly string[] WireNames =
    [
        "aborted", "account-disabled", "credentials-expired", "encryption-required", "incorrect-encoding",
        "invalid-authzid", "invalid-mechanism", "malformed-request", "mechanism-too-weak", "not-authorized",
        "temporary-auth-failure",
    ];

    /// <summary>The element name of a failure condition, for example <c>not-authorized</c>.</summary>
    public static string ToWireName(this SaslFailure failure) => WireNames[(int)failure];

    /// <summary>Parses an element name back to a condition; unknown names map to <see cref="SaslFailure.NotAuthorized"/> (RFC 6120 §6.5 gives no generic condition).</summary>
    public static SaslFailure ParseSaslFailure(string wireName)
    {
        var i = Array.IndexOf(WireNames, wireName);
        return i < 0 ? SaslFailure.NotAuthorized : (SaslFailure)i;
    }
}
